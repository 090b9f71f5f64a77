/**
 * The BinderHub backend: a build is one BinderHub build request (binderhub-client.ts), whose
 * events become our log lines; BinderHub's image is then made ours on the same engine (our
 * name in the owner's namespace, our labels: engine-relabel.ts) and checked as the local
 * backend checks its own. Decisions and measurements: /work/coord/binderhub-design.md.
 *
 * Exactly ONE upstream stream per build, never a retry: BinderHub has no build ids nor event
 * ids, so asking again builds again from scratch. Joining, the queue, replay and Last-Event-ID
 * are the build manager's, served from our own log, as with the local backend.
 *
 * Cancel (or our timeout) aborts the stream, and our side stops at once. BinderHub only notices
 * when it next writes a log line for that build (its 25 s keepalive does not count: it swallows
 * the closed-stream error); it then kills repo2docker within ~1 s and buildx dies at its next
 * write. A step that never prints again runs to its end and BinderHub's image is produced
 * anyway; we never name it ours (only `ready` leads there, and after a cancel we no longer
 * read), and BinderHub's build slot stays taken until then.
 *
 * Where BinderHub's image is decides where ours is made (both when it is in both):
 * - in this service's Docker engine (BinderHub's local build class, or build pods on this
 *   engine): `FROM` it with our name and labels (engine-relabel.ts), no new layer;
 * - in this service's registry (BinderHub with `use_registry`, as binderhub-service on
 *   Kubernetes pushes): its manifest put under our name with its blobs mounted, then our labels
 *   set in a new config blob (RegistryStore.copyTag + relabel), no layer moved. BinderHub's own
 *   repository there is left alone: its cache ("Found built image" for the next owner).
 * BinderHub's image anywhere else is a failure that says where it should be.
 */
import { invalidField } from '../api/errors.js';
import { currentInstance, INSTANCE_LABEL } from '../docker/instance.js';
import { LABEL } from '../images/labels.js';
import { splitImageReference } from '../images/naming.js';
import type { Logger } from '../util/log.js';
import { removeBuildArtifacts } from './build-artifacts.js';
import {
  BuildFailure,
  type BuildBackend,
  type BuildJob,
  type BuildSink,
  type BuiltImage
} from './backend.js';
import { BinderHubClient, BinderHubError } from './binderhub-client.js';
import type { BinderHubUpdate } from './binderhub-stream.js';

/** What the backend needs of the engine: DockerEngine has it. */
export interface BinderHubEngine {
  /** Make `target` = `source` plus `labels` (engine-relabel.ts). */
  relabel(
    source: string,
    target: string,
    labels: Record<string, string>,
    signal: AbortSignal
  ): Promise<void>;
  retag(source: string, target: string): Promise<void>;
  imageId(reference: string): Promise<string | null>;
  removeIfUntagged(imageId: string): Promise<void>;
  removeBuildArtifacts(
    buildId: string
  ): Promise<{ images: number; containers: number }>;
  untag(reference: string): Promise<void>;
}

/** The subset of the client this backend uses (a fake in unit tests). */
export interface BinderHubBuilder {
  readonly where: string;
  build(
    request: { repo: string; ref: string },
    signal: AbortSignal
  ): AsyncGenerator<BinderHubUpdate>;
  versions(timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** What the backend needs of the registry the service lists (RegistryStore has it). */
export interface BinderHubRegistry {
  /** `host[:port]` that image names in it begin with. */
  readonly host: string;
  readonly url: string;
  readonly pushByDefault: boolean;
  copyTag(source: string, target: string): Promise<boolean>;
  relabel(reference: string, labels: Record<string, string>): Promise<boolean>;
  /** Our image as the registry store reads it back: `null` unless ours (labels, owner). */
  find(reference: string): Promise<{ owner: string } | null>;
  remove(reference: string): Promise<boolean>;
}

export interface BinderHubBackendOptions {
  /** The registry this service lists, when it has one (BinderHub may push there). */
  registry?: BinderHubRegistry | null;
  /** Keep BinderHub's own tag after ours is made (when others use BinderHub's images as a cache). */
  keepBinderHubImage: boolean;
  /** Checks our image's labels after the relabel (local-repo2docker.ts's verifyLabels). */
  verifyLabels(image: string, labels: Record<string, string>): Promise<void>;
  instance?: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export class BinderHubBackend implements BuildBackend {
  readonly kind = 'binderhub';
  /**
   * BinderHub pushes (or not) by its own configuration; ours goes to the registry when
   * BinderHub's does. `push` is allowed when there is a registry to make ours in.
   */
  readonly pushes: { url: string; pushByDefault: boolean } | null;

  /**
   * Our builds now asking BinderHub for each repository and commit. Two owners' builds of one
   * commit are two BinderHub builds that end with ONE name of BinderHub's: the first to finish
   * must not remove that name while the other still has to make its image from it.
   */
  private readonly asking = new Map<string, number>();

  constructor(
    private readonly client: BinderHubBuilder,
    private readonly engine: BinderHubEngine,
    private readonly options: BinderHubBackendOptions
  ) {
    const registry = options.registry ?? null;
    this.pushes = registry
      ? { url: registry.url, pushByDefault: registry.pushByDefault }
      : null;
  }

  /**
   * What BinderHub cannot do is refused at submit (400 naming the field), not run and failed:
   * its git provider has no subdirectory (repo2docker's `--subdir` is not passed through), no
   * build arguments, and no per-request git credentials (BinderHub's own config holds those).
   */
  checkRequest(request: {
    subdir: string | null;
    buildArgs?: Record<string, string>;
    credentials?: unknown;
  }): void {
    if (request.subdir !== null) {
      throw invalidField(
        'subdir',
        'this service builds with BinderHub, which cannot build a subdirectory of a repository; leave subdir out'
      );
    }
    if (request.buildArgs && Object.keys(request.buildArgs).length > 0) {
      throw invalidField(
        'buildArgs',
        'this service builds with BinderHub, which takes no build arguments; leave buildArgs out'
      );
    }
    if (request.credentials) {
      throw invalidField(
        'credentials',
        "this service builds with BinderHub, which clones with its own configuration's credentials; leave credentials out"
      );
    }
  }

  async run(
    job: BuildJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<BuiltImage> {
    // checkRequest refuses these at submit; this is the backstop for any other caller.
    if (
      job.subdir !== null ||
      Object.keys(job.buildArgs ?? {}).length > 0 ||
      job.credentials
    ) {
      throw new BuildFailure(
        'BinderHub cannot build a subdirectory, with build arguments or with credentials of the request'
      );
    }
    if (job.pushOnly) {
      throw new BuildFailure(
        'this service builds with BinderHub and does not push images itself'
      );
    }
    const key = `${job.repo}\0${job.commit}`;
    this.asking.set(key, (this.asking.get(key) ?? 0) + 1);
    let location = { engine: false, registry: false };
    try {
      const theirs = await this.ask(job, sink, signal);
      location = await this.whereIs(theirs, job);
      if (location.registry) {
        await this.makeOursInRegistry(job, theirs, sink, signal);
      }
      if (location.engine) {
        await this.makeOurs(job, theirs, sink, signal, key).catch(
          async error => {
            // Not built after all: the registry's copy of ours goes too.
            if (location.registry) {
              await this.options.registry!.remove(job.image).catch(() => false);
            }
            throw error;
          }
        );
      }
    } catch (error) {
      await removeBuildArtifacts(this.engine, job.buildId, this.options.log);
      throw error;
    } finally {
      const left = (this.asking.get(key) ?? 1) - 1;
      if (left > 0) {
        this.asking.set(key, left);
      } else {
        this.asking.delete(key);
      }
    }
    return { reference: job.image, digest: null, location };
  }

  /** Where BinderHub's image is, of the places ours can be made in. */
  private async whereIs(
    theirs: string,
    job: BuildJob
  ): Promise<{ engine: boolean; registry: boolean }> {
    const registry = this.options.registry ?? null;
    const where = {
      engine: (await this.engine.imageId(theirs).catch(() => null)) !== null,
      registry: registry !== null && theirs.startsWith(`${registry.host}/`)
    };
    if (!where.engine && !where.registry) {
      throw new BuildFailure(
        `BinderHub built ${theirs}, which is neither in this service's Docker engine nor in its registry` +
          (registry ? ` (${registry.host})` : ' (none is configured)') +
          ": BinderHub must build on this engine or push to this service's registry"
      );
    }
    if (job.push && !where.registry) {
      throw new BuildFailure(
        `this build was to be pushed, but BinderHub's image ${theirs} is not in this service's registry: configure BinderHub to push there`
      );
    }
    return where;
  }

  /**
   * BinderHub's manifest under our name (blobs mounted, nothing copied), then our labels in a
   * new config blob, then read back as the registry store lists it: ours, with this owner.
   * On a failure after the copy our name is removed again (BinderHub's manifest is another
   * repository's, so it stays).
   */
  private async makeOursInRegistry(
    job: BuildJob,
    theirs: string,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<void> {
    const registry = this.options.registry!;
    const labels = {
      ...job.labels,
      [INSTANCE_LABEL]: this.options.instance ?? currentInstance()
    };
    sink.line(
      'pushing',
      `Naming BinderHub's image ${theirs} ${job.image} in the registry`,
      null
    );
    let copied = false;
    try {
      signal.throwIfAborted();
      copied = await registry.copyTag(theirs, job.image);
      if (!copied) {
        throw new BuildFailure(
          `BinderHub's image ${theirs} is not in the registry ${registry.host}`
        );
      }
      signal.throwIfAborted();
      await registry.relabel(job.image, labels);
      const ours = await registry.find(job.image);
      const owner = job.labels[LABEL.owner];
      if (!ours || (owner !== undefined && ours.owner !== owner)) {
        throw new BuildFailure(
          `the registry ${registry.host} does not show ${job.image} as ours after labelling it`
        );
      }
    } catch (error) {
      if (copied) {
        await registry.remove(job.image).catch(() => false);
      }
      if (error instanceof BuildFailure || signal.aborted) {
        throw error;
      }
      throw new BuildFailure((error as Error).message);
    }
  }

  /** BinderHub answers `/versions` without a JupyterHub (its `/health` needs one). */
  async lostBuilder(): Promise<string | null> {
    try {
      await this.client.versions(3000);
      return null;
    } catch (error) {
      return error instanceof BinderHubError
        ? `${error.message} during the build`
        : null;
    }
  }

  /** The one upstream build; resolves with BinderHub's image name. */
  private async ask(
    job: BuildJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<string> {
    sink.line(
      'fetching',
      `Asking BinderHub at ${this.client.where} to build ${job.repo} at ${job.commit}`,
      null
    );
    try {
      // The resolved commit as the ref: BinderHub skips its `git ls-remote` and tags with it.
      for await (const update of this.client.build(
        { repo: job.repo, ref: job.commit },
        signal
      )) {
        switch (update.kind) {
          case 'keepalive':
            break; // the client uses it to tell silence from a dead stream
          case 'line':
            // BinderHub's "waiting" (its own pool) is no return to our queue: the phase goes on.
            sink.line(
              update.phase === 'queued' ? null : update.phase,
              update.message,
              update.progress
            );
            break;
          case 'failed':
            // BinderHub's words as a line of the phase it failed in: the final `failed` event
            // (with our one-sentence error) is the manager's.
            if (update.message) {
              sink.line(null, update.message, null);
            }
            if (update.traceback) {
              this.options.log.warn(
                { buildId: job.buildId, traceback: update.traceback },
                'BinderHub build traceback'
              );
            }
            throw new BuildFailure(update.error);
          case 'ready':
            sink.line('building', update.message, null);
            return update.imageName;
        }
      }
    } catch (error) {
      if (error instanceof BinderHubError) {
        throw new BuildFailure(error.message);
      }
      throw error;
    }
    // The client ends with `ready` or `failed` or throws; this is only reached if it did not.
    throw new BuildFailure(
      `BinderHub at ${this.client.where} ended the build's stream without a result`
    );
  }

  /**
   * BinderHub's image under our name with our labels: first under this build's temporary tag
   * (so a failed relabel or label check never touches the real name, and the reaper knows it),
   * then retagged, as the local backend does.
   */
  private async makeOurs(
    job: BuildJob,
    theirs: string,
    sink: BuildSink,
    signal: AbortSignal,
    key: string
  ): Promise<void> {
    const temporary = `${splitImageReference(job.image).repository}:build-${job.buildId}`;
    const replaced = await this.engine.imageId(job.image).catch(() => null);
    const labels = {
      ...job.labels,
      [INSTANCE_LABEL]: this.options.instance ?? currentInstance()
    };
    sink.line(
      'building',
      `Naming BinderHub's image ${theirs} ${job.image}`,
      null
    );
    await this.engine.relabel(theirs, temporary, labels, signal);
    await this.options.verifyLabels(temporary, labels);
    await this.engine.retag(temporary, job.image);
    if (replaced) {
      await this.engine.removeIfUntagged(replaced);
    }
    // Another build of ours of this commit still waits for BinderHub: it removes the name.
    if (!this.options.keepBinderHubImage && this.asking.get(key) === 1) {
      // Only its tag goes: the layers are ours now too. BinderHub then rebuilds that commit
      // when asked again (after our image is deleted); keep it where others use the cache.
      await this.engine.untag(theirs).catch(error => {
        this.options.log.warn(
          {
            buildId: job.buildId,
            image: theirs,
            err: (error as Error).message
          },
          "could not remove BinderHub's tag"
        );
      });
    }
  }
}

/** The client for `backend.url`; the token (if any) only ever goes in a header. */
export function binderHubClient(backend: {
  url: string | null;
  token: string | null;
  provider: string;
}): BinderHubClient {
  if (!backend.url) {
    throw new Error(
      'backend.kind "binderhub" needs backend.url (BinderHub\'s URL, e.g. http://127.0.0.1:8585)'
    );
  }
  return new BinderHubClient({
    url: backend.url,
    token: backend.token,
    provider: backend.provider
  });
}
