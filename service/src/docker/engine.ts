/**
 * The Docker engine, as far as the service needs it: our images (found by label), removing them,
 * and cleaning up after a build that did not finish. Talks to the Engine API with dockerode,
 * which honours DOCKER_HOST (unix socket, tcp, ssh) the way the docker CLI does.
 */
import Docker from 'dockerode';
import type { Image } from '../api/contract.js';
import { ApiError, dockerUnreachable } from '../api/errors.js';
import { LineSplitter } from '../backends/repo2docker-log.js';
import { splitImageReference } from '../builds/naming.js';
import { fromLabels, LABEL, toImage } from './labels.js';

/** What the build manager and the routes need from an image store (engine or registry). */
export interface ImageStore {
  /** Every image this service built that the store holds. */
  list(): Promise<Image[]>;
  /** One image by its full reference, or `null`. */
  find(reference: string): Promise<Image | null>;
  /** Remove a tag; `false` when there was none. */
  remove(reference: string): Promise<boolean>;
}

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

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

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

export class DockerEngine implements ImageStore {
  readonly docker: Docker;

  constructor(docker?: Docker) {
    // With no options dockerode reads DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH).
    this.docker = docker ?? new Docker();
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
      infos = await this.docker.listImages({ filters: { label: [LABEL.buildId] } });
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
        if (tag !== '<none>:<none>') {
          images.push(toImage(tag, labels, info.Size, { engine: true, registry: false }));
        }
      }
    }
    return images;
  }

  async find(reference: string): Promise<Image | null> {
    try {
      const info = await this.docker.getImage(reference).inspect();
      const labels = fromLabels(info.Config?.Labels ?? null);
      return labels ? toImage(reference, labels, info.Size, { engine: true, registry: false }) : null;
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
        throw new ApiError(409, 'image_in_use', `image ${reference} is used by a container; stop it first`);
      }
      rethrow(error);
    }
  }

  /** Point `target` (`repository:tag`) at the image `source` names, then drop the `source` tag. */
  async retag(source: string, target: string): Promise<void> {
    const { repository, tag } = splitImageReference(target);
    try {
      await this.docker.getImage(source).tag({ repo: repository, tag });
      await this.docker.getImage(source).remove({ noprune: true });
    } catch (error) {
      rethrow(error);
    }
  }

  /**
   * Push `repository:tag` to the registry its name begins with, yielding the engine's progress
   * events as they come. Aborting `signal` ends the request (the engine then stops the push).
   */
  async *push(reference: string, auth: PushAuth, signal: AbortSignal): AsyncGenerator<PushEvent> {
    const { repository, tag } = splitImageReference(reference);
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = (await this.docker.getImage(repository).push({ tag, authconfig: auth, abortSignal: signal })) as typeof stream;
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
        const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
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
  async removeBuildArtifacts(buildId: string): Promise<{ images: number; containers: number }> {
    const filters = { label: [`${LABEL.buildId}=${buildId}`] };
    let images = 0;
    let containers = 0;
    try {
      for (const container of await this.docker.listContainers({ all: true, filters })) {
        await this.docker.getContainer(container.Id).remove({ force: true });
        containers++;
      }
      for (const image of await this.docker.listImages({ all: true, filters })) {
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
