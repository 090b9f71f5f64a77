/**
 * A fake service client and sample data for the panel's and model's tests.
 */

import type {
  Build,
  Image,
  ImageList,
  Info,
  PagedImageList
} from '@jupyterlab-repo2docker/service/contract';
import { Signal } from '@lumino/signaling';
import { matchesFilter } from '../model';
import type {
  IImagePageQuery,
  IRepo2DockerClient,
  IServiceLocation
} from '../tokens';

/**
 * The page the service would answer for `query` out of the whole list `images` (newest first,
 * filtered by owner and every word of `q`), as service/src/http/image-page.ts pages it.
 */
export function pageOfImages(
  images: readonly Image[],
  query: IImagePageQuery
): PagedImageList {
  const matching = [...images]
    .sort((a, b) => b.builtAt.localeCompare(a.builtAt))
    .filter(
      image =>
        (query.owner === undefined || image.owner === query.owner) &&
        matchesFilter(query.q ?? '', [
          image.name,
          image.displayName,
          image.repo,
          image.owner,
          image.ref
        ])
    );
  const offset = query.offset ?? 0;
  const limit = query.limit ?? null;
  return {
    images: matching.slice(
      offset,
      limit === null ? matching.length : offset + limit
    ),
    total: matching.length,
    offset,
    limit
  };
}

export function makeInfo(overrides: Partial<Info['user']> = {}): Info {
  return {
    service: 'repo2docker',
    version: '0.1.0',
    backend: 'local',
    registry: null,
    limits: {
      maxConcurrentBuilds: 2,
      maxConcurrentBuildsPerUser: 1,
      maxQueuedBuildsPerUser: 5,
      buildTimeoutSeconds: 3600,
      allowLocalRepos: false
    },
    imageNameTemplate: 'r2d-{owner}/{name}',
    user: {
      name: 'alice',
      admin: false,
      groups: [],
      permissions: { access: true, read: true, build: true, admin: false },
      scopes: [],
      missing: [],
      ...overrides
    },
    auth: 'jupyterhub'
  };
}

export function makeBuild(overrides: Partial<Build> = {}): Build {
  return {
    id: 'b1',
    owner: 'alice',
    shared: false,
    repo: 'https://github.com/alice/analysis',
    ref: 'main',
    commit: '0123456789abcdef0123456789abcdef01234567',
    subdir: null,
    name: 'analysis',
    displayName: '',
    image: 'r2d-alice/analysis:0123456789ab',
    push: false,
    phase: 'building',
    progress: { current: 2, total: 5 },
    error: null,
    alreadyBuilt: false,
    queuePosition: null,
    createdAt: new Date(Date.now() - 65_000).toISOString(),
    startedAt: new Date(Date.now() - 62_000).toISOString(),
    finishedAt: null,
    logAvailable: true,
    private: false,
    buildArgs: {},
    folder: null,
    ...overrides
  };
}

export function makeImage(overrides: Partial<Image> = {}): Image {
  return {
    name: 'r2d-alice/analysis:0123456789ab',
    repository: 'r2d-alice/analysis',
    tag: '0123456789ab',
    owner: 'alice',
    shared: false,
    repo: 'https://github.com/alice/analysis',
    ref: 'main',
    commit: '0123456789abcdef0123456789abcdef01234567',
    subdir: null,
    displayName: '',
    buildId: 'b0',
    builtAt: '2025-01-02T03:04:05Z',
    size: 1_234_000_000,
    private: false,
    buildArgs: [],
    buildArgsDigest: '',
    location: { engine: true, registry: false },
    sharing: { visibility: 'owner', groups: [] },
    folder: null,
    ...overrides
  };
}

/** A client whose every method is a jest mock; answers an empty, fully permitted service. */
export class FakeClient implements IRepo2DockerClient {
  location: IServiceLocation = {
    baseUrl: 'http://localhost/services/repo2docker/',
    transport: 'hub'
  };
  locationChanged: Signal<IRepo2DockerClient, IServiceLocation> = new Signal(
    this
  );
  logStreamOpened: Signal<IRepo2DockerClient, string> = new Signal(this);

  getInfo = jest.fn<Promise<Info>, []>(async () => makeInfo());
  startBuild = jest.fn<
    Promise<Build>,
    Parameters<IRepo2DockerClient['startBuild']>
  >(async request =>
    makeBuild({
      id: 'new',
      repo: request.repo,
      phase: 'queued',
      progress: null
    })
  );
  listBuilds = jest.fn<Promise<Build[]>, []>(async () => []);
  getBuild = jest.fn<Promise<Build>, [string]>(async id => makeBuild({ id }));
  cancelBuild = jest.fn<Promise<Build>, [string]>(async id =>
    makeBuild({ id, phase: 'cancelled' })
  );
  listImages = jest.fn<Promise<Image[]>, []>(async () => []);
  /** Pages whatever `listImages` answers, as the service would (tests mock `listImages`). */
  listImagePage = jest.fn<
    Promise<PagedImageList | ImageList>,
    [IImagePageQuery]
  >(async query => pageOfImages(await this.listImages(), query));
  deleteImage = jest.fn<Promise<void>, [string]>(async () => undefined);
  setImageSharing = jest.fn<
    Promise<Image>,
    Parameters<IRepo2DockerClient['setImageSharing']>
  >(async (name, sharing) => makeImage({ name, sharing }));
  openLogStream = jest.fn<
    Promise<Response>,
    [string, number | null, AbortSignal]
  >(async () => new Response(''));
}
