/**
 * Tokens and interfaces that other JupyterLab plugins may depend on.
 */

import type {
  Build,
  BuildRequest,
  Image,
  ImageList,
  Info,
  PagedImageList,
  SharingRequest
} from '@jupyterlab-repo2docker/service/contract';
import type { IWidgetTracker } from '@jupyterlab/apputils';
import { Token } from '@lumino/coreutils';
import type { ISignal } from '@lumino/signaling';
import type { BuildLogWidget, ILogStreamSource } from './logs';

/** How requests reach the service. */
export type ServiceTransport =
  /** Plain `fetch` with `Authorization: token <hub OAuth token from PageConfig>`. */
  | 'hub'
  /** `ServerConnection.makeRequest`: the Jupyter server's own auth (jupyter-server-proxy). */
  | 'server'
  /** Plain `fetch` without credentials (a `serviceUrl` outside both of the above). */
  | 'fetch';

/** Where the service is and how to reach it. */
export interface IServiceLocation {
  /** Base URL of the service, ending in `/`; API paths (`api/info`) are relative to it. */
  baseUrl: string;
  transport: ServiceTransport;
}

/** Filters of `GET api/images`. */
export interface IImageFilter {
  repo?: string;
  ref?: string;
  commit?: string;
  owner?: string;
}

/** A page of `GET api/images` (issue 17): `limit`/`offset`, the text filter `q`, and `owner`. */
export interface IImagePageQuery {
  limit?: number;
  offset?: number;
  q?: string;
  owner?: string;
}

/**
 * The client of the repo2docker service: the one place that talks to it.
 *
 * Every method rejects with a `ServiceError` (see `errors.ts`) whose `message` says in plain
 * words what went wrong; `openLogStream` resolves with the response whatever its status.
 */
export interface IRepo2DockerClient extends ILogStreamSource {
  /** Where the service is, as resolved from settings and the page config. */
  readonly location: IServiceLocation;

  /** Emitted when `location` changes (the `serviceUrl` setting changed). */
  readonly locationChanged: ISignal<IRepo2DockerClient, IServiceLocation>;

  /**
   * Emitted with a build id whenever a log stream is opened for that build (a viewer opened or
   * resumed it), so that the panel can notify the user when that build finishes.
   */
  readonly logStreamOpened: ISignal<IRepo2DockerClient, string>;

  /** `GET api/info`: the service, its limits and the caller's permissions. */
  getInfo(): Promise<Info>;

  /** `POST api/builds`: start a build (or learn that the image exists: `alreadyBuilt`). */
  startBuild(request: BuildRequest): Promise<Build>;

  /** `GET api/builds`. */
  listBuilds(): Promise<Build[]>;

  /** `GET api/builds/{id}`. */
  getBuild(buildId: string): Promise<Build>;

  /** `DELETE api/builds/{id}`: cancel a build. */
  cancelBuild(buildId: string): Promise<Build>;

  /** `GET api/images`, optionally filtered. */
  listImages(filter?: IImageFilter): Promise<Image[]>;

  /**
   * `GET api/images?limit=&offset=&q=&owner=`: one page and how many matched (`total`), asked
   * with `If-None-Match` when the same page was fetched before. A service without paging answers
   * the whole list, without `total`.
   */
  listImagePage?(query: IImagePageQuery): Promise<PagedImageList | ImageList>;

  /** `DELETE api/images/{name}`. */
  deleteImage(name: string): Promise<void>;

  /** `PUT api/images/{name}/sharing`: answers the image with its new sharing. */
  setImageSharing(name: string, sharing: SharingRequest): Promise<Image>;
}

/** The repo2docker service client. */
export const IRepo2DockerClient = new Token<IRepo2DockerClient>(
  'jupyterlab-repo2docker:IRepo2DockerClient',
  'The client of the repo2docker image build service.'
);

/** The tracker of open build log viewers. */
export type IBuildLogTracker = IWidgetTracker<BuildLogWidget>;

/** The build log viewers' tracker. */
export const IBuildLogTracker = new Token<IBuildLogTracker>(
  'jupyterlab-repo2docker:IBuildLogTracker',
  'A tracker of the repo2docker build log viewers.'
);
