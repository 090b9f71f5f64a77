/**
 * Build orchestration: a request becomes a build (or joins one, or is answered from an existing
 * image), waits for a slot, runs on the backend under a timeout, and ends built, failed or
 * cancelled with nothing half-made left behind. The HTTP layer only calls in here.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, invalidField } from '../api/errors.js';
import { BuildFailure, type BuildBackend, type BuildJob } from '../backends/backend.js';
import { FailureWitness } from '../backends/repo2docker-log.js';
import { currentInstance, INSTANCE_LABEL } from '../docker/instance.js';
import type { DockerEngine, ImageStore } from '../docker/engine.js';
import { toLabels } from '../docker/labels.js';
import type { ServiceMetrics } from '../metrics.js';
import type { PushTarget } from '../registry/push.js';
import { BuildRecord } from './build-record.js';
import { LineBatcher } from './line-batcher.js';
import { BuildRegistry } from './build-registry.js';
import { isValidRepository, nameFromRepo, namespaceFor, renderRepository, splitImageReference } from './naming.js';
import { BuildQueue } from './queue.js';
import type { RefResolver } from './ref-resolver.js';
import type { ValidBuildRequest } from './validate.js';

export interface ManagerOptions {
  imageTemplate: string;
  /** Put before every repository: `host[:port]/prefix` of the registry, or `""`. */
  repositoryPrefix?: string;
  maxConcurrent: number;
  maxConcurrentPerUser: number;
  maxQueuedPerUser: number;
  timeoutSeconds: number;
  logs: { maxBuilds: number; maxBytes: number };
  /** This process's identity on the engine's artifacts (default: docker/instance.ts). */
  instance?: string;
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Why a build was aborted; decides whether it ends `cancelled` or `failed`. */
class CancelRequest extends Error {}
class BuildTimeout extends Error {}

export interface ManagerParts {
  /** Where "already built?" looks: the engine and the registry (default: the engine alone). */
  images?: ImageStore;
  /** Pushes built images to the registry; `null` when none is configured. */
  pusher?: PushTarget | null;
  /** Told when a build ended, since it may have added, replaced or pushed an image. */
  onImagesChanged?: () => void;
}

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /** Stop waiting for running builds to clean up after this long; the caller exits anyway. */
  waitMs?: number;
}

export interface SubmitResult {
  build: BuildRecord;
  /** `new`: queued now; `joined`: the same build was already under way; `existing`: already built. */
  outcome: 'new' | 'joined' | 'existing';
}

export class BuildManager {
  readonly registry: BuildRegistry;
  private readonly queue: BuildQueue<BuildRecord>;
  private readonly running = new Set<Promise<void>>();
  /** Builds that only push an image the engine has already (it was built without a push). */
  private readonly pushOnly = new WeakSet<BuildRecord>();
  private readonly images: ImageStore;
  private readonly pusher: PushTarget | null;
  private readonly onImagesChanged: () => void;
  /**
   * Requests in flight, registered before their first await so that an identical request
   * arriving during any wait joins them: ref resolutions by `repo + ref`, and the "already
   * built? else queue" decision by image target (`image + repo + subdir`).
   */
  private readonly resolving = new Map<string, Promise<string>>();
  private readonly deciding = new Map<string, { push: boolean; force: boolean; result: Promise<SubmitResult> }>();
  private stopping = false;
  private shutdownDone: Promise<boolean> | null = null;

  constructor(
    private readonly options: ManagerOptions,
    private readonly backend: BuildBackend,
    private readonly engine: DockerEngine,
    private readonly resolver: RefResolver,
    private readonly metrics: ServiceMetrics,
    private readonly log: Logger,
    parts: ManagerParts = {}
  ) {
    this.images = parts.images ?? engine;
    this.pusher = parts.pusher ?? null;
    this.onImagesChanged = parts.onImagesChanged ?? (() => undefined);
    this.registry = new BuildRegistry(options.logs);
    this.queue = new BuildQueue(
      { global: options.maxConcurrent, perUser: options.maxConcurrentPerUser },
      build => {
        const done = this.execute(build).finally(() => this.running.delete(done));
        this.running.add(done);
      }
    );
  }

  get queueLength(): number {
    return this.queue.waitingCount;
  }

  get runningCount(): number {
    return this.queue.runningCount;
  }

  queuePosition(build: BuildRecord): number | null {
    return this.queue.position(build);
  }

  async submit(owner: string, request: ValidBuildRequest): Promise<SubmitResult> {
    this.refuseWhileStopping();
    const commit = await this.resolveShared(request.repo, request.ref);
    this.refuseWhileStopping();
    const name = request.name ?? nameFromRepo(request.repo);
    const repository = renderRepository(
      this.options.imageTemplate,
      namespaceFor(owner, request.shared),
      name,
      this.options.repositoryPrefix ?? ''
    );
    if (!isValidRepository(repository)) {
      throw invalidField('name', `the image name "${repository}" would be too long or invalid; choose a shorter name`);
    }
    const image = `${repository}:${commit}`;
    if (request.push && !this.pusher) {
      throw invalidField('push', 'no registry is configured on this service, so images cannot be pushed');
    }
    const push = request.push ?? this.pusher?.pushByDefault ?? false;
    const target = `${image}\0${request.repo}\0${request.subdir ?? ''}`;

    // From here to registering our own decision nothing awaits, except waiting for another
    // request's decision about the same target, after which everything is checked again.
    for (;;) {
      const underWay = this.registry
        .active()
        .find(build => build.spec.image === image && build.spec.repo === request.repo && build.spec.subdir === request.subdir);
      if (underWay) {
        return this.join(underWay, push, image);
      }
      const other = this.deciding.get(target);
      if (!other) {
        break;
      }
      const result = await other.result.catch(() => null);
      // Its "already exists" answer fits us too when we asked the same (no force, same push).
      if (result?.outcome === 'existing' && !request.force && other.push === push) {
        return result;
      }
      // Otherwise: it queued a build (found above on the next turn), or it failed (we try ourselves).
    }
    const result = this.decide(owner, request, { commit, name, image, push });
    const entry = { push, force: request.force ?? false, result };
    this.deciding.set(target, entry);
    try {
      return await result;
    } finally {
      if (this.deciding.get(target) === entry) {
        this.deciding.delete(target);
      }
    }
  }

  /** One resolution per `repo + ref` at a time: identical requests share it. */
  private resolveShared(repo: string, ref: string): Promise<string> {
    const key = `${repo}\0${ref}`;
    let pending = this.resolving.get(key);
    if (!pending) {
      pending = this.resolver.resolve(repo, ref);
      this.resolving.set(key, pending);
      const forget = (): void => {
        if (this.resolving.get(key) === pending) {
          this.resolving.delete(key);
        }
      };
      pending.then(forget, forget);
    }
    return pending;
  }

  private refuseWhileStopping(): void {
    if (this.stopping) {
      throw new ApiError(503, 'service_stopping', 'the service is stopping; try again once it is back');
    }
  }

  private join(underWay: BuildRecord, push: boolean, image: string): SubmitResult {
    if (push && !underWay.spec.push) {
      // Joining asks for a push the build did not plan: it pushes once built (the push step
      // reads this after the image is made).
      underWay.spec.push = true;
      underWay.append(underWay.phase, `Another request joined this build and asked for a push: ${image} will be pushed`);
    }
    return { build: underWay, outcome: 'joined' };
  }

  /** Answer from an existing image or queue a new build; runs once per target at a time. */
  private async decide(
    owner: string,
    request: ValidBuildRequest,
    { commit, name, image, push }: { commit: string; name: string; image: string; push: boolean }
  ): Promise<SubmitResult> {
    const spec = {
      id: randomBytes(8).toString('hex'),
      owner,
      shared: request.shared,
      repo: request.repo,
      ref: request.ref,
      commit,
      subdir: request.subdir,
      name,
      displayName: request.displayName ?? name,
      image,
      push
    };
    let pushOnly = false;
    if (!request.force) {
      // The engine and the registry are both asked: an image that lives only in the registry
      // counts as built (as in BinderHub).
      const existing = await this.images.find(image);
      if (existing && existing.repo === request.repo && existing.commit === commit && existing.subdir === request.subdir) {
        if (push && existing.location.engine && !existing.location.registry) {
          pushOnly = true; // built here, never pushed (or the push failed): push it now
        } else {
          const build = new BuildRecord({ ...spec, displayName: existing.displayName || spec.displayName });
          build.alreadyBuilt = true;
          build.startedAt = build.createdAt;
          this.registry.add(build);
          const where = existing.location.engine
            ? existing.location.registry
              ? 'in the Docker engine and the registry'
              : 'in the Docker engine'
            : 'in the registry';
          build.finish('built', `${image} already exists ${where} (built ${existing.builtAt}); nothing to build`);
          this.registry.markFinished(build);
          this.metrics.buildsTotal.inc({ outcome: 'already_built' });
          return { build, outcome: 'existing' };
        }
      }
    }

    this.refuseWhileStopping();
    const mine = this.registry.active().filter(build => build.owner === owner).length;
    if (mine >= this.options.maxQueuedPerUser) {
      throw new ApiError(
        429,
        'too_many_builds',
        `you already have ${mine} builds queued or running (limit ${this.options.maxQueuedPerUser}); wait for one to finish`
      );
    }

    const build = new BuildRecord(spec);
    this.registry.add(build);
    if (pushOnly) {
      this.pushOnly.add(build);
      build.append('queued', `Queued a push of ${image}: it is built already but not in the registry`);
    } else {
      build.append('queued', `Queued ${image} (${request.repo} at ${commit.slice(0, 12)})`);
    }
    this.queue.enqueue(build);
    return { build, outcome: 'new' };
  }

  /** Cancel a queued or running build. A build already final is returned as it is. */
  cancel(build: BuildRecord, by: string): BuildRecord {
    if (build.isFinal) {
      return build;
    }
    if (this.queue.remove(build)) {
      build.finish('cancelled', `Cancelled by ${by} before it started`, `cancelled by ${by}`);
      this.registry.markFinished(build);
      this.metrics.buildsTotal.inc({ outcome: 'cancelled' });
      return build;
    }
    build.abort.abort(new CancelRequest(`cancelled by ${by}`));
    return build;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /**
   * Service shutdown: refuse new builds, cancel every queued and running one, and wait until
   * each has stopped and cleaned up, or `waitMs` has passed (the caller exits anyway; the next
   * start reaps what is left, see docker/reaper.ts). Returns whether every build ended in time.
   */
  shutdown(options: ShutdownOptions = {}): Promise<boolean> {
    // A second call (app.close() after main.ts's stop) waits for the first, not for ever.
    this.shutdownDone ??= this.stopAll(options);
    return this.shutdownDone;
  }

  private async stopAll({ waitMs = Infinity }: ShutdownOptions): Promise<boolean> {
    this.stopping = true;
    for (const build of this.registry.active()) {
      this.cancel(build, 'the service stopping');
    }
    const all = Promise.allSettled([...this.running]).then(() => true);
    if (!Number.isFinite(waitMs)) {
      return all;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([all, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async execute(build: BuildRecord): Promise<void> {
    const { spec } = build;
    const pushOnly = this.pushOnly.has(build);
    build.startedAt = new Date();
    const timer = setTimeout(
      () => build.abort.abort(new BuildTimeout(`the build took longer than ${this.options.timeoutSeconds} s`)),
      this.options.timeoutSeconds * 1000
    );
    let outcome: 'built' | 'failed' | 'cancelled' = 'failed';
    // Once the image has its real name in the engine, a failure (of the push) keeps it.
    let imageComplete = pushOnly;
    const witness = new FailureWitness();
    try {
      if (!pushOnly) {
        build.append('fetching', `Building ${spec.image} from ${spec.repo} at ${spec.commit}`);
        await this.buildImage(build, witness);
        imageComplete = true;
      }
      let digest: string | null = null;
      if (spec.push && this.pusher) {
        build.append('pushing', `Pushing ${spec.image} to ${this.pusher.url}`);
        ({ digest } = await this.pusher.push(
          spec.image,
          line => {
            if (!build.isFinal) {
              build.append('pushing', line.message, line.progress);
            }
          },
          build.abort.signal
        ));
      }
      outcome = 'built';
      build.finish(
        'built',
        spec.push ? `${pushOnly ? 'Pushed' : 'Built and pushed'} ${spec.image}${digest ? ` (${digest})` : ''}` : `Built ${spec.image}`
      );
    } catch (error) {
      const reason = build.abort.signal.aborted ? build.abort.signal.reason : error;
      outcome = reason instanceof CancelRequest ? 'cancelled' : 'failed';
      let message =
        reason instanceof BuildFailure
          ? witness.summary(reason.message)
          : reason instanceof CancelRequest || reason instanceof BuildTimeout || reason instanceof ApiError
            ? (reason as Error).message
            : 'the build stopped unexpectedly; see the service log';
      if (outcome === 'failed' && !(reason instanceof BuildTimeout) && !(await this.engineAnswers())) {
        // Whatever repo2docker or the push said, the cause is the engine going away.
        message = 'the Docker engine stopped answering during the build';
      }
      if (!(reason instanceof CancelRequest || reason instanceof BuildTimeout || reason instanceof BuildFailure)) {
        this.log.error({ buildId: spec.id, err: error }, 'build crashed');
      }
      if (imageComplete) {
        // The image is built and named: keep it. It is not in the registry (the image list
        // says so: location.registry false), and a later request with push pushes it.
        const kept = `${spec.image} is kept in the Docker engine, not pushed`;
        build.finish(
          outcome,
          outcome === 'cancelled' ? `Push cancelled: ${message}; ${kept}` : `Push failed: ${message}; ${kept}`,
          outcome === 'cancelled' ? message : `push failed: ${message}`
        );
      } else {
        const removed = await this.engine.removeBuildArtifacts(spec.id).catch(cleanupError => {
          this.log.error({ buildId: spec.id, err: cleanupError }, 'cleanup after build failed');
          return null;
        });
        if (removed && removed.images + removed.containers > 0) {
          this.log.info({ buildId: spec.id, ...removed }, 'removed what the build left');
        }
        build.finish(outcome, outcome === 'cancelled' ? `Build cancelled: ${message}` : `Build failed: ${message}`, message);
      }
    } finally {
      clearTimeout(timer);
      this.onImagesChanged();
      this.queue.finished(build);
      this.registry.markFinished(build);
      this.metrics.buildsTotal.inc({ outcome });
      const seconds = (build.finishedAt!.getTime() - build.startedAt.getTime()) / 1000;
      this.metrics.buildDuration.observe({ outcome }, seconds);
      this.log.info({ buildId: spec.id, owner: spec.owner, image: spec.image, push: spec.push, outcome, seconds }, 'build ended');
    }
  }

  /** Whether the engine answers a ping within a few seconds (a hung engine counts as gone). */
  private async engineAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(resolve => {
      timer = setTimeout(() => resolve(false), 3000);
    });
    try {
      return await Promise.race([this.engine.ping().catch(() => false), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run the backend into this build's own tag, then give the image its real name. */
  private async buildImage(build: BuildRecord, witness: FailureWitness): Promise<void> {
    const { spec } = build;
    const temporaryTag = `${splitImageReference(spec.image).repository}:build-${spec.id}`;
    const job: BuildJob = {
      buildId: spec.id,
      repo: spec.repo,
      commit: spec.commit,
      subdir: spec.subdir,
      // repo2docker builds under a tag of this build's own; the image takes its real name only
      // once complete, so a failed or cancelled build never touches it, and a forced rebuild
      // replaces it in one step (repo2docker itself would reuse an existing tag).
      image: temporaryTag,
      // The manager pushes after the retag, itself: repo2docker would push the temporary tag.
      push: false,
      // The spec already holds every label's value under the same name, but for these two.
      labels: {
        ...toLabels({ ...spec, buildId: spec.id, builtAt: build.startedAt!.toISOString() }),
        // Which service process made it: a later start reaps only what dead processes left.
        [INSTANCE_LABEL]: this.options.instance ?? currentInstance()
      }
    };
    // Which image the tag names now (a forced rebuild replaces it); asked while the build runs.
    const replacedLookup = this.engine.imageId(spec.image).catch(() => null);
    const batcher = new LineBatcher((phase, message, progress, receivedAt) => {
      if (!build.isFinal) {
        build.append(phase, message, progress, receivedAt);
      }
    });
    try {
      await this.backend.run(
        job,
        {
          line: (phase, message, progress) => {
            witness.line(message);
            batcher.line(phase ?? (build.phase === 'queued' ? 'fetching' : build.phase), message, progress);
          }
        },
        build.abort.signal
      );
    } finally {
      batcher.flush(); // every line is in the log before the build's final event
    }
    const made = await this.engine.find(temporaryTag);
    if (!made || made.buildId !== spec.id) {
      throw new BuildFailure(`repo2docker finished but the image ${temporaryTag} is not in the Docker engine`);
    }
    await this.engine.retag(temporaryTag, spec.image);
    const replaced = await replacedLookup;
    if (replaced) {
      await this.engine.removeIfUntagged(replaced); // only if no tag points at it any more
    }
  }
}
