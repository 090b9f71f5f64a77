/**
 * Build orchestration: a request becomes a build (or joins one, or is answered from an existing
 * image), waits for a slot, runs on the backend under a timeout, and ends built, failed or
 * cancelled with nothing half-made left behind. The HTTP layer only calls in here.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, invalidField } from '../api/errors.js';
import {
  BuildFailure,
  ImageKept,
  type BuildBackend,
  type BuildJob,
  type BuiltImage
} from '../backends/backend.js';
import { FailureWitness } from '../backends/repo2docker-log.js';
import type { FolderSource, GitCredentials } from '../api/contract.js';
import type { UploadDir } from '../backends/upload-dir.js';
import { buildArgsDigest, toLabels } from '../images/labels.js';
import {
  isValidRepository,
  nameFromRepo,
  namespaceFor,
  renderRepository
} from '../images/naming.js';
import type { ImageStore } from '../images/store.js';
import type { Logger } from '../util/log.js';
import { BuildEvents } from './build-events.js';
import { BuildHistory } from './build-history.js';
import { BuildRecord } from './build-record.js';
import { LineBatcher } from './line-batcher.js';
import { BuildQueue } from './queue.js';
import type { RefResolver } from './ref-resolver.js';
import type { ValidFolderRequest } from './folder-upload.js';
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
}

export type { Logger };

/** Why a build was aborted; decides whether it ends `cancelled` or `failed`. */
class CancelRequest extends Error {}
class BuildTimeout extends Error {}

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
  readonly history: BuildHistory;
  /** Subscribe here to builds ending (metrics, the image catalog). */
  readonly events = new BuildEvents();
  private readonly queue: BuildQueue<BuildRecord>;
  private readonly running = new Set<Promise<void>>();
  /** Builds that only push an image the engine has already (it was built without a push). */
  private readonly pushOnly = new WeakSet<BuildRecord>();
  /**
   * A private repository's credentials, beside its record (never on it: the record is what the
   * API, the logs and the metrics read). Handed to the backend once, forgotten when it ends.
   */
  private readonly credentials = new WeakMap<BuildRecord, GitCredentials>();
  /** An uploaded folder's directory, beside its build; removed once the build has ended. */
  private readonly uploads = new WeakMap<BuildRecord, UploadDir>();
  /**
   * Requests in flight, registered before their first await so that an identical request
   * arriving during any wait joins them: ref resolutions by `repo + ref`, and the "already
   * built? else queue" decision by image target (`image + repo + subdir`).
   */
  private readonly resolving = new Map<string, Promise<string>>();
  private readonly deciding = new Map<
    string,
    { push: boolean; force: boolean; result: Promise<SubmitResult> }
  >();
  private stopping = false;
  private shutdownDone: Promise<boolean> | null = null;

  /**
   * @param images where "already built?" looks: the engine and the registry, merged.
   */
  constructor(
    private readonly options: ManagerOptions,
    private readonly backend: BuildBackend,
    private readonly images: ImageStore,
    private readonly resolver: RefResolver,
    private readonly log: Logger
  ) {
    this.history = new BuildHistory(options.logs);
    this.queue = new BuildQueue(
      { global: options.maxConcurrent, perUser: options.maxConcurrentPerUser },
      build => {
        const done = this.execute(build).finally(() =>
          this.running.delete(done)
        );
        this.running.add(done);
      }
    );
  }

  /** Whether the backend builds uploaded folders (POST /api/builds/upload). */
  get buildsFolders(): boolean {
    return this.backend.buildsFolders === true;
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

  async submit(
    owner: string,
    request: ValidBuildRequest
  ): Promise<SubmitResult> {
    this.refuseWhileStopping();
    this.backend.checkRequest?.(request); // e.g. BinderHub has no subdir: a 400 before any work
    const commit = request.credentials
      ? // Never shared: another request's credentials must not answer for (or fail) these.
        await this.resolver.resolve(
          request.repo,
          request.ref,
          request.credentials
        )
      : await this.resolveShared(request.repo, request.ref);
    this.refuseWhileStopping();
    const name = request.name ?? nameFromRepo(request.repo);
    const repository = this.repositoryFor(owner, request.shared, name);
    const image = `${repository}:${commit}`;
    const pushes = this.backend.pushes;
    if (request.push && !pushes) {
      throw invalidField(
        'push',
        'no registry is configured on this service, so images cannot be pushed'
      );
    }
    const push = request.push ?? pushes?.pushByDefault ?? false;
    const digest = buildArgsDigest(request.buildArgs);
    const isPrivate = request.credentials !== null;
    const target = `${image}\0${request.repo}\0${request.subdir ?? ''}\0${digest}\0${isPrivate ? owner : ''}`;

    return this.joinOrDecide(target, {
      image,
      push,
      force: request.force ?? false,
      joins: build =>
        build.spec.image === image &&
        !build.spec.folder &&
        build.spec.repo === request.repo &&
        build.spec.subdir === request.subdir &&
        buildArgsDigest(build.spec.buildArgs) === digest &&
        // A private build is joined by its owner only (a join answers with its record).
        (!build.spec.private || build.owner === owner),
      // Its "already exists" answer fits us too when we asked the same (no force, same push).
      takesExisting: other => !request.force && other.push === push,
      decide: () => this.decide(owner, request, { commit, name, image, push })
    });
  }

  /**
   * A build from an uploaded folder (POST /api/builds/upload), unpacked and its digest checked.
   * As `submit`: joins a build under way of the same image and digest, answers from an image of
   * the same name and digest unless `force`, else queues. The tag is the digest's hex. `upload`
   * is this manager's from here: removed at once unless a new build takes it, then when that
   * build ends, whatever its end.
   */
  async submitFolder(
    owner: string,
    request: ValidFolderRequest,
    upload: UploadDir
  ): Promise<SubmitResult> {
    let kept = false;
    try {
      this.refuseWhileStopping();
      if (!this.backend.buildsFolders) {
        throw new ApiError(
          501,
          'uploads_unsupported',
          `the ${this.backend.kind} build backend cannot build uploaded folders`
        );
      }
      const name =
        request.name ?? (request.path ? nameFromRepo(request.path) : 'folder');
      const repository = this.repositoryFor(owner, false, name);
      const image = `${repository}:${request.digest.slice('sha256:'.length)}`;
      const push = this.backend.pushes?.pushByDefault ?? false;
      const folder: FolderSource = {
        path: request.path,
        digest: request.digest
      };
      const asBuild: ValidBuildRequest = {
        repo: '',
        ref: '',
        name,
        displayName: request.displayName,
        push: null,
        subdir: null,
        force: request.force,
        shared: false,
        credentials: null,
        buildArgs: {}
      };
      const target = `${image}\0folder\0${request.digest}`;
      return await this.joinOrDecide(target, {
        image,
        push,
        force: request.force,
        joins: build =>
          build.spec.image === image &&
          build.spec.folder?.digest === request.digest &&
          build.owner === owner,
        takesExisting: () => !request.force,
        decide: () =>
          this.decide(owner, asBuild, {
            commit: '',
            name,
            image,
            push,
            folder,
            upload
          }),
        decided: decided => {
          kept = this.uploads.has(decided.build); // a push-only build needs no folder
        }
      });
    } finally {
      if (!kept) {
        await upload.remove();
      }
    }
  }

  /** The image repository (no tag) for `owner`'s image `name`; 400 naming `name` when invalid. */
  private repositoryFor(owner: string, shared: boolean, name: string): string {
    const repository = renderRepository(
      this.options.imageTemplate,
      namespaceFor(owner, shared),
      name,
      this.options.repositoryPrefix ?? ''
    );
    if (!isValidRepository(repository)) {
      throw invalidField(
        'name',
        `the image name "${repository}" would be too long or invalid; choose a shorter name`
      );
    }
    return repository;
  }

  /**
   * Joins a build under way that `joins` picks, or waits for another request's decision about
   * the same `target` (taking its "already exists" answer where `takesExisting`), else decides
   * itself and registers that decision for identical requests to wait on. From the last look
   * to registering nothing awaits, so two identical requests never both decide.
   */
  private async joinOrDecide(
    target: string,
    how: {
      image: string;
      push: boolean;
      force: boolean;
      joins: (build: BuildRecord) => boolean;
      takesExisting: (other: { push: boolean; force: boolean }) => boolean;
      decide: () => Promise<SubmitResult>;
      /** Called as soon as the own decision is known, before it stops being registered. */
      decided?: (result: SubmitResult) => void;
    }
  ): Promise<SubmitResult> {
    for (;;) {
      const underWay = this.history.active().find(how.joins);
      if (underWay) {
        return this.join(underWay, how.push, how.image);
      }
      const other = this.deciding.get(target);
      if (!other) {
        break;
      }
      const result = await other.result.catch(() => null);
      if (result?.outcome === 'existing' && how.takesExisting(other)) {
        return result;
      }
      // Otherwise: it queued a build (found above on the next turn), or it failed (we try ourselves).
    }
    const result = how.decide();
    const entry = { push: how.push, force: how.force, result };
    this.deciding.set(target, entry);
    try {
      const decided = await result;
      how.decided?.(decided);
      return decided;
    } finally {
      if (this.deciding.get(target) === entry) {
        this.deciding.delete(target);
      }
    }
  }

  private async releaseUpload(build: BuildRecord): Promise<void> {
    const upload = this.uploads.get(build);
    this.uploads.delete(build);
    await upload
      ?.remove()
      .catch(error =>
        this.log.error(
          { buildId: build.id, err: error },
          'could not remove an upload directory'
        )
      );
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
      throw new ApiError(
        503,
        'service_stopping',
        'the service is stopping; try again once it is back'
      );
    }
  }

  private join(
    underWay: BuildRecord,
    push: boolean,
    image: string
  ): SubmitResult {
    if (push && !underWay.spec.push) {
      // Joining asks for a push the build did not plan: it pushes once built (the push step
      // reads this after the image is made).
      underWay.spec.push = true;
      underWay.append(
        underWay.phase,
        `Another request joined this build and asked for a push: ${image} will be pushed`
      );
    }
    return { build: underWay, outcome: 'joined' };
  }

  /** Answer from an existing image or queue a new build; runs once per target at a time. */
  private async decide(
    owner: string,
    request: ValidBuildRequest,
    {
      commit,
      name,
      image,
      push,
      folder = null,
      upload
    }: {
      commit: string;
      name: string;
      image: string;
      push: boolean;
      folder?: FolderSource | null;
      upload?: UploadDir;
    }
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
      push,
      private: request.credentials !== null,
      buildArgs: request.buildArgs,
      folder
    };
    let pushOnly = false;
    if (!request.force) {
      // The engine and the registry are both asked: an image that lives only in the registry
      // counts as built (as in BinderHub).
      const existing = await this.images.find(image);
      const sameSource = folder
        ? existing?.folder?.digest === folder.digest && existing.owner === owner
        : !existing?.folder &&
          existing?.repo === request.repo &&
          existing.commit === commit &&
          existing.subdir === request.subdir;
      if (
        existing &&
        sameSource &&
        existing.buildArgsDigest === buildArgsDigest(request.buildArgs) &&
        // A private repository's image is answered to its owner only. Names are per owner, so
        // this matters in the shared namespace, where admins share one name.
        (!existing.private || existing.owner === owner)
      ) {
        if (push && existing.location.engine && !existing.location.registry) {
          pushOnly = true; // built here, never pushed (or the push failed): push it now
        } else {
          const build = new BuildRecord({
            ...spec,
            private: existing.private,
            displayName: existing.displayName || spec.displayName
          });
          build.alreadyBuilt = true;
          build.startedAt = build.createdAt;
          this.history.add(build);
          const where = existing.location.engine
            ? existing.location.registry
              ? 'in the Docker engine and the registry'
              : 'in the Docker engine'
            : 'in the registry';
          build.finish(
            'built',
            `${image} already exists ${where} (built ${existing.builtAt}); nothing to build`
          );
          this.history.markFinished(build);
          this.events.emitEnded({
            build,
            outcome: 'already_built',
            ran: false,
            seconds: null
          });
          return { build, outcome: 'existing' };
        }
      }
    }

    this.refuseWhileStopping();
    const mine = this.history
      .active()
      .filter(build => build.owner === owner).length;
    if (mine >= this.options.maxQueuedPerUser) {
      throw new ApiError(
        429,
        'too_many_builds',
        `you already have ${mine} builds queued or running (limit ${this.options.maxQueuedPerUser}); wait for one to finish`
      );
    }

    const build = new BuildRecord(spec);
    this.history.add(build);
    if (request.credentials) {
      this.credentials.set(build, request.credentials);
    }
    if (upload && !pushOnly) {
      this.uploads.set(build, upload);
    }
    if (pushOnly) {
      this.pushOnly.add(build);
      build.append(
        'queued',
        `Queued a push of ${image}: it is built already but not in the registry`
      );
    } else {
      build.append(
        'queued',
        folder
          ? `Queued ${image} (folder ${folder.path || '.'}, digest ${folder.digest.slice(7, 19)})`
          : `Queued ${image} (${request.repo} at ${commit.slice(0, 12)})`
      );
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
      this.credentials.delete(build);
      void this.releaseUpload(build);
      build.finish(
        'cancelled',
        `Cancelled by ${by} before it started`,
        `cancelled by ${by}`
      );
      this.history.markFinished(build);
      this.events.emitEnded({
        build,
        outcome: 'cancelled',
        ran: false,
        seconds: null
      });
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

  private async stopAll({
    waitMs = Infinity
  }: ShutdownOptions): Promise<boolean> {
    this.stopping = true;
    for (const build of this.history.active()) {
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
      () =>
        build.abort.abort(
          new BuildTimeout(
            `the build took longer than ${this.options.timeoutSeconds} s`
          )
        ),
      this.options.timeoutSeconds * 1000
    );
    let outcome: 'built' | 'failed' | 'cancelled' = 'failed';
    const witness = new FailureWitness();
    const batcher = new LineBatcher((phase, message, progress, receivedAt) => {
      if (!build.isFinal) {
        build.append(phase, message, progress, receivedAt);
      }
    });
    const job: BuildJob = {
      buildId: spec.id,
      repo: spec.repo,
      commit: spec.commit,
      subdir: spec.subdir,
      image: spec.image,
      // The spec already holds every label's value under the same name, but for these two.
      labels: toLabels({
        ...spec,
        buildId: spec.id,
        builtAt: build.startedAt.toISOString(),
        buildArgs: Object.keys(spec.buildArgs).sort(),
        buildArgsDigest: buildArgsDigest(spec.buildArgs)
      }),
      buildArgs: spec.buildArgs,
      ...(spec.folder && this.uploads.has(build)
        ? {
            folder: {
              ...spec.folder,
              dir: this.uploads.get(build)!.src
            }
          }
        : {}),
      // Read by the backend once the image is made: a request joining meanwhile may ask for a push.
      get push() {
        return spec.push;
      },
      pushOnly
    };
    const credentials = this.credentials.get(build);
    if (credentials) {
      // Not enumerable: a log line or JSON.stringify of the job never carries them.
      Object.defineProperty(job, 'credentials', {
        value: credentials,
        enumerable: false
      });
    }
    try {
      if (!pushOnly) {
        build.append(
          'fetching',
          spec.folder
            ? `Building ${spec.image} from the uploaded folder ${spec.folder.path || '.'} (${spec.folder.digest})`
            : `Building ${spec.image} from ${spec.repo} at ${spec.commit}`
        );
      }
      let made: BuiltImage;
      try {
        made = await this.backend.run(
          job,
          {
            line: (phase, message, progress) => {
              if (phase === 'pushing') {
                // Push progress: one event per line at once, as the engine reports each layer.
                batcher.flush();
                if (!build.isFinal) {
                  build.append('pushing', message, progress);
                }
                return;
              }
              witness.line(message);
              batcher.line(
                phase ?? (build.phase === 'queued' ? 'fetching' : build.phase),
                message,
                progress
              );
            }
          },
          build.abort.signal
        );
      } finally {
        batcher.flush(); // every line is in the log before the build's final event
      }
      outcome = 'built';
      build.finish(
        'built',
        spec.push
          ? `${pushOnly ? 'Pushed' : 'Built and pushed'} ${spec.image}${made.digest ? ` (${made.digest})` : ''}`
          : `Built ${spec.image}`
      );
    } catch (thrown) {
      // Once the image has its real name, a failure (of the push) keeps it.
      const imageComplete = pushOnly || thrown instanceof ImageKept;
      const error = thrown instanceof ImageKept ? thrown.reason : thrown;
      const reason = build.abort.signal.aborted
        ? build.abort.signal.reason
        : error;
      outcome = reason instanceof CancelRequest ? 'cancelled' : 'failed';
      let message =
        reason instanceof BuildFailure
          ? witness.summary(reason.message)
          : reason instanceof CancelRequest ||
              reason instanceof BuildTimeout ||
              reason instanceof ApiError
            ? (reason as Error).message
            : 'the build stopped unexpectedly; see the service log';
      if (outcome === 'failed' && !(reason instanceof BuildTimeout)) {
        // Whatever repo2docker or the push said, the cause may be the builder going away.
        message = (await this.lostBuilder()) ?? message;
      }
      if (!(
        reason instanceof CancelRequest ||
        reason instanceof BuildTimeout ||
        reason instanceof BuildFailure
      )) {
        this.log.error({ buildId: spec.id, err: error }, 'build crashed');
      }
      if (imageComplete) {
        // The image is built and named: keep it. It is not in the registry (the image list
        // says so: location.registry false), and a later request with push pushes it.
        const kept = `${spec.image} is kept in the Docker engine, not pushed`;
        build.finish(
          outcome,
          outcome === 'cancelled'
            ? `Push cancelled: ${message}; ${kept}`
            : `Push failed: ${message}; ${kept}`,
          outcome === 'cancelled' ? message : `push failed: ${message}`
        );
      } else {
        // The backend has removed what the build left.
        build.finish(
          outcome,
          outcome === 'cancelled'
            ? `Build cancelled: ${message}`
            : `Build failed: ${message}`,
          message
        );
      }
    } finally {
      clearTimeout(timer);
      this.credentials.delete(build); // for this build only
      await this.releaseUpload(build); // whatever the end: built, failed, cancelled, timed out
      this.queue.finished(build);
      this.history.markFinished(build);
      const seconds =
        (build.finishedAt!.getTime() - build.startedAt.getTime()) / 1000;
      this.log.info(
        {
          buildId: spec.id,
          owner: spec.owner,
          image: spec.image,
          push: spec.push,
          outcome,
          seconds
        },
        'build ended'
      );
      this.events.emitEnded({ build, outcome, ran: true, seconds });
    }
  }

  /** The backend's word on its builder being gone, if it has one. */
  private async lostBuilder(): Promise<string | null> {
    return this.backend.lostBuilder
      ? this.backend.lostBuilder().catch(() => null)
      : null;
  }
}
