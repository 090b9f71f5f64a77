/**
 * The local backend: repo2docker on the service's own Docker engine. Around each run it owns
 * every step the engine needs: a tag of the build's own while it builds, the retag to the real
 * name once complete, removing the image a forced rebuild replaced, removing what a failed or
 * cancelled build left, and the push to the registry.
 */
import type { Image } from '../api/contract.js';
import { currentInstance, INSTANCE_LABEL } from '../docker/instance.js';
import { labelsDiffer } from '../images/labels.js';
import { splitImageReference } from '../images/naming.js';
import type { Logger } from '../util/log.js';
import { removeBuildArtifacts } from './build-artifacts.js';
import {
  BuildFailure,
  ImageKept,
  type BuildBackend,
  type BuildJob,
  type BuildSink,
  type BuiltImage,
  type PushDestination
} from './backend.js';
import type { PushTarget } from './engine-push.js';
import type { Repo2DockerRunner } from './repo2docker-run.js';

/** What the backend needs of the engine: DockerEngine has it (and so do the unit tests' fakes). */
export interface LocalEngine {
  find(reference: string): Promise<Image | null>;
  imageId(reference: string): Promise<string | null>;
  retag(source: string, target: string): Promise<void>;
  removeIfUntagged(imageId: string): Promise<void>;
  removeBuildArtifacts(
    buildId: string
  ): Promise<{ images: number; containers: number }>;
  ping(): Promise<boolean>;
}

export interface LocalBackendOptions {
  /** Pushes built images to the registry; `null` when none is configured. */
  pusher?: PushTarget | null;
  /** This process's identity on the engine's artifacts (default: docker/instance.ts). */
  instance?: string;
  log: Pick<Logger, 'info' | 'error'>;
}

/**
 * After a run: the image's labels in our namespace must be exactly `expected` (no other key of
 * ours, no other value). Keys outside it (repo2docker.*, a base image's) are not ours to judge.
 * Otherwise the image is removed and the build fails.
 */
export async function verifyLabels(
  engine: {
    labelsOf(reference: string): Promise<Record<string, string> | null>;
    untag(reference: string): Promise<void>;
  },
  reference: string,
  expected: Record<string, string>
): Promise<void> {
  const labels = await engine.labelsOf(reference);
  if (labels === null) {
    return; // nothing was made; the backend reports that
  }
  const wrong = labelsDiffer(labels, expected);
  if (wrong.length === 0) {
    return;
  }
  try {
    await engine.untag(reference);
  } catch {
    // The cleanup after the failure removes what carries this build's id.
  }
  throw new BuildFailure(
    `the image's labels do not match what the service set (${wrong.slice(0, 3).join(', ')}); ` +
      'the repository may be trying to forge its provenance, so the image was removed'
  );
}

export class LocalRepo2DockerBackend implements BuildBackend {
  readonly kind = 'local';
  readonly buildsFolders = true;
  readonly pushes: PushDestination | null;
  private readonly pusher: PushTarget | null;

  constructor(
    private readonly runner: Repo2DockerRunner,
    private readonly engine: LocalEngine,
    private readonly options: LocalBackendOptions
  ) {
    this.pusher = options.pusher ?? null;
    this.pushes = this.pusher;
  }

  async run(
    job: BuildJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<BuiltImage> {
    if (!job.pushOnly) {
      try {
        await this.build(job, sink, signal);
      } catch (error) {
        await removeBuildArtifacts(this.engine, job.buildId, this.options.log);
        throw error;
      }
    }
    // `job.push` is read now: a request that joined during the build may have asked for it.
    if (!job.push || !this.pusher) {
      return {
        reference: job.image,
        digest: null,
        location: { engine: true, registry: false }
      };
    }
    // From here the image is complete under its name: whatever happens, it is kept.
    try {
      sink.line('pushing', `Pushing ${job.image} to ${this.pusher.url}`, null);
      const { digest } = await this.pusher.push(
        job.image,
        line => sink.line('pushing', line.message, line.progress),
        signal
      );
      return {
        reference: job.image,
        digest,
        location: { engine: true, registry: true }
      };
    } catch (error) {
      throw new ImageKept(job.image, error);
    }
  }

  /** Whether the engine answers a ping within a few seconds (a hung engine counts as gone). */
  async lostBuilder(): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(false), 3000);
    });
    try {
      const answers = await Promise.race([
        this.engine.ping().catch(() => false),
        late
      ]);
      return answers
        ? null
        : 'the Docker engine stopped answering during the build';
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run repo2docker into this build's own tag, then give the image its real name. */
  private async build(
    job: BuildJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<void> {
    const temporaryTag = `${splitImageReference(job.image).repository}:build-${job.buildId}`;
    // Which image the tag names now (a forced rebuild replaces it); asked while the build runs.
    const replacedLookup = this.engine.imageId(job.image).catch(() => null);
    await this.runner.run(
      {
        buildId: job.buildId,
        repo: job.repo,
        commit: job.commit,
        subdir: job.subdir,
        // repo2docker builds under a tag of this build's own; the image takes its real name only
        // once complete, so a failed or cancelled build never touches it, and a forced rebuild
        // replaces it in one step (repo2docker itself would reuse an existing tag).
        image: temporaryTag,
        // The push follows the retag, here: repo2docker would push the temporary tag.
        push: false,
        buildArgs: job.buildArgs,
        credentials: job.credentials,
        folder: job.folder ? { dir: job.folder.dir } : undefined,
        labels: {
          ...job.labels,
          // Which service process made it: a later start reaps only what dead processes left.
          [INSTANCE_LABEL]: this.options.instance ?? currentInstance()
        }
      },
      sink,
      signal
    );
    const made = await this.engine.find(temporaryTag);
    if (!made || made.buildId !== job.buildId) {
      throw new BuildFailure(
        `repo2docker finished but the image ${temporaryTag} is not in the Docker engine`
      );
    }
    await this.engine.retag(temporaryTag, job.image);
    const replaced = await replacedLookup;
    if (replaced) {
      await this.engine.removeIfUntagged(replaced); // only if no tag points at it any more
    }
  }
}
