/**
 * The Docker engine, as far as the service needs it: our images (found by label), removing them,
 * and cleaning up after a build that did not finish. Talks to the Engine API with dockerode,
 * which honours DOCKER_HOST (unix socket, tcp, ssh) the way the docker CLI does.
 */
import Docker from 'dockerode';
import type { Image } from '../api/contract.js';
import { ApiError, dockerUnreachable } from '../api/errors.js';
import { LineSplitter } from '../util/lines.js';
import {
  namespaceFor,
  renderRepository,
  splitImageReference
} from '../images/naming.js';
import {
  expectedTag,
  fromLabels,
  LABEL,
  toImage,
  type ImageLabels
} from '../images/labels.js';
import type { ImageStore } from '../images/store.js';

/** One line of the engine's push progress stream. */
export interface PushEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** What the engine forwards to the registry in `X-Registry-Auth`. */
export interface PushAuth {
  username?: string;
  password?: string;
  serveraddress: string;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH'
]);

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** Turn a failure to reach the engine into a 503; pass everything else on. */
function rethrow(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code && UNREACHABLE_CODES.has(code)) {
    throw dockerUnreachable();
  }
  throw error;
}

/** How the service names images: the manager's template and prefix (see images/naming.ts). */
export interface EngineNaming {
  template: string;
  /** `host[:port]/prefix/` of the registry, or `""`. */
  repositoryPrefix: string;
}

/** The tag a build's image has while it is being made; never listed as an image. */
export const temporaryTag = (buildId: string): string => `build-${buildId}`;

export class DockerEngine implements ImageStore {
  readonly docker: Docker;
  private readonly naming: EngineNaming;

  constructor(
    docker?: Docker,
    naming: EngineNaming = {
      template: 'r2d-{owner}/{name}',
      repositoryPrefix: ''
    }
  ) {
    // With no options dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH).
    this.docker = docker ?? new Docker();
    this.naming = naming;
  }

  /**
   * Labels are written by whoever builds an image (a repository's Dockerfile among them), so they
   * alone prove nothing: an image counts as X's only when its name sits in X's namespace, which
   * only the service can give (as the registry store checks too). The tag must be the commit,
   * or, for `find` alone, the build's temporary tag the manager looks for.
   */
  private owns(
    reference: string,
    labels: ImageLabels,
    allowTemporary: boolean
  ): boolean {
    const { repository, tag } = splitImageReference(reference);
    let expected: string;
    try {
      expected = renderRepository(
        this.naming.template,
        namespaceFor(labels.owner, labels.shared),
        labels.name,
        this.naming.repositoryPrefix
      );
    } catch {
      return false; // an owner label no user can have (empty)
    }
    return (
      repository === expected &&
      (tag === expectedTag(labels) ||
        (allowTemporary && tag === temporaryTag(labels.buildId)))
    );
  }

  /** An image's labels, or `null` when there is no such image. */
  async labelsOf(reference: string): Promise<Record<string, string> | null> {
    try {
      return (
        (await this.docker.getImage(reference).inspect()).Config?.Labels ?? {}
      );
    } catch (error) {
      if (statusOf(error) === 404) {
        return null;
      }
      rethrow(error);
    }
  }

  /** Drop one tag (no force): if some other tag points at the same image, that one stays. */
  async untag(reference: string): Promise<void> {
    await this.docker.getImage(reference).remove({ noprune: false });
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async list(): Promise<Image[]> {
    let infos: Docker.ImageInfo[];
    try {
      infos = await this.docker.listImages({
        filters: { label: [LABEL.buildId] }
      });
    } catch (error) {
      rethrow(error);
    }
    const images: Image[] = [];
    for (const info of infos) {
      const labels = fromLabels(info.Labels);
      if (!labels) {
        continue;
      }
      for (const tag of info.RepoTags ?? []) {
        if (tag !== '<none>:<none>' && this.owns(tag, labels, false)) {
          images.push(
            toImage(tag, labels, info.Size, { engine: true, registry: false })
          );
        }
      }
    }
    return images;
  }

  async find(reference: string): Promise<Image | null> {
    try {
      const info = await this.docker.getImage(reference).inspect();
      const labels = fromLabels(info.Config?.Labels ?? null);
      return labels && this.owns(reference, labels, true)
        ? toImage(reference, labels, info.Size, {
            engine: true,
            registry: false
          })
        : null;
    } catch (error) {
      if (statusOf(error) === 404) {
        return null;
      }
      rethrow(error);
    }
  }

  /** The engine's id of an image, to tell a rebuilt image from the one it replaced. */
  async imageId(reference: string): Promise<string | null> {
    try {
      return (await this.docker.getImage(reference).inspect()).Id;
    } catch (error) {
      if (statusOf(error) === 404) {
        return null;
      }
      rethrow(error);
    }
  }

  async remove(reference: string): Promise<boolean> {
    try {
      await this.docker.getImage(reference).remove({ noprune: false });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) {
        return false;
      }
      if (status === 409) {
        throw new ApiError(
          409,
          'image_in_use',
          `image ${reference} is used by a container; stop it first`
        );
      }
      rethrow(error);
    }
  }

  /**
   * Point `target` (`repository:tag`) at the image `source` names, then drop the `source` tag.
   * Once `target` is set the image is complete: a failure to drop `source` is not the build's
   * failure (which would make the manager clean up, and the cleanup remove the finished image);
   * the temporary tag is tried once more and otherwise left (it is never listed).
   */
  async retag(source: string, target: string): Promise<void> {
    const { repository, tag } = splitImageReference(target);
    try {
      await this.docker.getImage(source).tag({ repo: repository, tag });
    } catch (error) {
      rethrow(error);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.docker.getImage(source).remove({ noprune: true });
        return;
      } catch (error) {
        if (statusOf(error) === 404) {
          return;
        }
      }
    }
  }

  /**
   * Push `repository:tag` to the registry its name begins with, yielding the engine's progress
   * events as they come. Aborting `signal` ends the request (the engine then stops the push).
   */
  async *push(
    reference: string,
    auth: PushAuth,
    signal: AbortSignal
  ): AsyncGenerator<PushEvent> {
    const { repository, tag } = splitImageReference(reference);
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = (await this.docker
        .getImage(repository)
        .push({ tag, authconfig: auth, abortSignal: signal })) as typeof stream;
    } catch (error) {
      rethrow(error);
    }
    const splitter = new LineSplitter();
    const decoder = new TextDecoder();
    const parse = (line: string): PushEvent | null => {
      if (line.trim() === '') {
        return null;
      }
      try {
        return JSON.parse(line) as PushEvent;
      } catch {
        return { status: line.trim() };
      }
    };
    try {
      for await (const chunk of stream) {
        const text =
          typeof chunk === 'string'
            ? chunk
            : decoder.decode(chunk as Uint8Array, { stream: true });
        for (const line of splitter.push(text)) {
          const event = parse(line);
          if (event) {
            yield event;
          }
        }
      }
      for (const line of splitter.flush()) {
        const event = parse(line);
        if (event) {
          yield event;
        }
      }
    } finally {
      stream.destroy?.();
    }
  }

  /** Remove an image by id if no tag points at it any more (the one a forced rebuild replaced). */
  async removeIfUntagged(imageId: string): Promise<void> {
    try {
      const info = await this.docker.getImage(imageId).inspect();
      if ((info.RepoTags ?? []).length === 0) {
        await this.docker.getImage(imageId).remove();
      }
    } catch {
      // Gone already, or used by a container: either way nothing of ours to clean.
    }
  }

  /**
   * After a failed or cancelled build: remove every image and container carrying its build id,
   * so no half-tagged image and no orphan container is left. Returns what was removed.
   */
  async removeBuildArtifacts(
    buildId: string
  ): Promise<{ images: number; containers: number }> {
    const filters = { label: [`${LABEL.buildId}=${buildId}`] };
    let images = 0;
    let containers = 0;
    try {
      for (const container of await this.docker.listContainers({
        all: true,
        filters
      })) {
        await this.docker.getContainer(container.Id).remove({ force: true });
        containers++;
      }
      for (const image of await this.docker.listImages({
        all: true,
        filters
      })) {
        // An image that has a name other than this build's temporary tag is complete (the retag
        // happened): never delete it here, only drop the temporary tag.
        const tags = (image.RepoTags ?? []).filter(
          tag => tag !== '<none>:<none>'
        );
        const temporary = tags.filter(
          tag => splitImageReference(tag).tag === temporaryTag(buildId)
        );
        if (tags.length > temporary.length) {
          for (const tag of temporary) {
            await this.docker.getImage(tag).remove({ noprune: true });
          }
          continue;
        }
        await this.docker.getImage(image.Id).remove({ force: true });
        images++;
      }
    } catch (error) {
      if (statusOf(error) !== 404) {
        rethrow(error);
      }
    }
    return { images, containers };
  }
}
