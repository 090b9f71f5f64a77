/**
 * The state of the Environments panel: what the service said last, kept fresh by polling, with
 * signals for the views.
 */

import type {
  Build,
  BuildPhase,
  BuildRequest,
  Image,
  Info
} from '@jupyterlab-repo2docker/service/contract';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { isServiceError, ServiceError } from './errors';
import { FINAL_PHASES, isFinalPhase } from './logs/logStream';
import type { IRepo2DockerClient } from './tokens';

/** The phases after which a build does not change any more. */
export { FINAL_PHASES };

/** Whether a build is over. */
export function isFinal(phase: BuildPhase): boolean {
  return isFinalPhase(phase);
}

/** How far along a build is in each phase: a build only moves forward. */
const PHASE_ORDER: Readonly<Record<BuildPhase, number>> = {
  queued: 0,
  fetching: 1,
  building: 2,
  pushing: 3,
  built: 4,
  failed: 4,
  cancelled: 4
};

/** Where the model is: before its first answer, with an answer, or with an error. */
export type ModelStatus = 'loading' | 'ready' | 'error';

/** A request to show the build form, optionally prefilled. */
export interface IFormRequest {
  repo?: string;
  ref?: string;
}

/** Default seconds between refreshes while builds are active. */
export const DEFAULT_REFRESH_INTERVAL = 3;

/** How much slower the model polls when no build is active (and at least how many seconds). */
const IDLE_FACTOR = 10;
const MIN_IDLE_INTERVAL = 30;

/** How old (ms) the service info may get before a refresh fetches it again. */
const INFO_MAX_AGE = 60_000;

/** The Environments panel's state. */
export class EnvironmentsModel {
  constructor(options: EnvironmentsModel.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab_repo2docker');
    this._refreshInterval = sanitizeInterval(options.refreshInterval);
    this._client.logStreamOpened.connect(this._onLogStreamOpened, this);
    this._client.locationChanged.connect(this._onLocationChanged, this);
  }

  /** Emitted whenever anything the views show changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Emitted when a build that the user started or watched here reaches a final phase. */
  get buildFinished(): ISignal<this, Build> {
    return this._buildFinished;
  }

  /** Emitted when the build form should be shown and focused (optionally prefilled). */
  get formRequested(): ISignal<this, IFormRequest> {
    return this._formRequested;
  }

  get client(): IRepo2DockerClient {
    return this._client;
  }

  get status(): ModelStatus {
    return this._status;
  }

  /** The last refresh's error, `null` after a good one. */
  get error(): ServiceError | null {
    return this._error;
  }

  /** The service info, once loaded. */
  get info(): Info | null {
    return this._info;
  }

  /** Builds, active ones first, then the newest first. */
  get builds(): readonly Build[] {
    return this._builds;
  }

  /** Images, newest first. */
  get images(): readonly Image[] {
    return this._images;
  }

  get activeBuilds(): readonly Build[] {
    return this._builds.filter(build => !isFinal(build.phase));
  }

  /** Whether the caller may start builds (known once the info is loaded). */
  get canBuild(): boolean {
    return this._info?.user.permissions.build === true;
  }

  /** Whether the caller may list images and builds. */
  get canRead(): boolean {
    const permissions = this._info?.user.permissions;
    return permissions ? permissions.read || permissions.admin : false;
  }

  /** Read-only: the info says the caller may not build. */
  get readOnly(): boolean {
    return this._info !== null && !this.canBuild;
  }

  /** Whether the caller may cancel this build. */
  canCancel(build: Build): boolean {
    const user = this._info?.user;
    if (!user || isFinal(build.phase)) {
      return false;
    }
    return user.permissions.admin || (user.permissions.build && build.owner === user.name);
  }

  /** Whether the caller may delete this image. */
  canDelete(image: Image): boolean {
    const user = this._info?.user;
    if (!user) {
      return false;
    }
    return (
      user.permissions.admin ||
      (user.permissions.build && !image.shared && image.owner === user.name)
    );
  }

  /** Seconds between refreshes while builds are active. */
  get refreshInterval(): number {
    return this._refreshInterval;
  }
  set refreshInterval(value: number) {
    const interval = sanitizeInterval(value);
    if (interval !== this._refreshInterval) {
      this._refreshInterval = interval;
      this._schedule();
    }
  }

  /** Seconds between refreshes when nothing is active. */
  get idleRefreshInterval(): number {
    return Math.max(this._refreshInterval * IDLE_FACTOR, MIN_IDLE_INTERVAL);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Load the first state and keep polling until disposed. */
  start(): Promise<void> {
    this._started = true;
    return this.refresh();
  }

  /** Stop polling (until `start` or `refresh`). */
  stop(): void {
    this._started = false;
    this._clearTimer();
  }

  /**
   * Fetch the info (when forced, missing or old), the builds and the images. A call during a
   * refresh, which may have read the service before what prompted the call (a build started,
   * cancelled or ended), runs one more refresh after it; calls meanwhile share that one.
   */
  refresh(options: { force?: boolean } = {}): Promise<void> {
    if (this._isDisposed) {
      return Promise.resolve();
    }
    if (this._refreshing) {
      this._forceNext = this._forceNext || options.force === true;
      if (!this._nextRefresh) {
        this._nextRefresh = this._refreshing
          .catch(() => undefined)
          .then(() => {
            const force = this._forceNext;
            this._forceNext = false;
            this._nextRefresh = null;
            return this.refresh({ force });
          });
      }
      return this._nextRefresh;
    }
    if (options.force) {
      this._infoAt = 0;
    }
    this._clearTimer();
    this._refreshing = this._refresh().finally(() => {
      this._refreshing = null;
      if (!this._nextRefresh) {
        this._schedule();
      }
    });
    return this._refreshing;
  }

  /**
   * Take in a phase that a build reached, as seen elsewhere (an open log viewer), so that the
   * panel does not lag behind it until the next poll. A new running phase is shown at once; a
   * final one refreshes now, which brings the build's end (error, duration) and its image.
   * Phases older than the one shown, and builds not listed and already over, are ignored.
   */
  observePhase(buildId: string, phase: BuildPhase): void {
    if (this._isDisposed || this._status !== 'ready') {
      return;
    }
    const build = this._builds.find(b => b.id === buildId);
    if (!build) {
      if (!isFinal(phase) && this.canRead) {
        // A running build that the list does not show yet.
        void this.refresh();
      }
      return;
    }
    if (PHASE_ORDER[phase] <= PHASE_ORDER[build.phase]) {
      return;
    }
    if (isFinal(phase)) {
      void this.refresh();
      return;
    }
    this._phases.set(buildId, phase);
    this._builds = sortBuilds(this._builds.map(b => (b.id === buildId ? { ...b, phase } : b)));
    this._stateChanged.emit();
  }

  /**
   * Start a build. The build is watched: `buildFinished` is emitted when it ends. Rejects with a
   * `ServiceError` (a 400 names the field at fault in `field`).
   */
  async startBuild(request: BuildRequest): Promise<Build> {
    const build = await this._client.startBuild(request);
    if (this._isDisposed) {
      return build;
    }
    if (!isFinal(build.phase)) {
      this._watched.add(build.id);
    }
    this._phases.set(build.id, build.phase);
    this._builds = sortBuilds([build, ...this._builds.filter(b => b.id !== build.id)]);
    this._stateChanged.emit();
    void this.refresh();
    return build;
  }

  /** Cancel a build. Rejects with a `ServiceError`. */
  async cancelBuild(buildId: string): Promise<Build> {
    this._cancelledHere.add(buildId);
    let build: Build;
    try {
      build = await this._client.cancelBuild(buildId);
    } catch (reason) {
      this._cancelledHere.delete(buildId);
      throw reason;
    }
    if (!this._isDisposed) {
      this._updateBuilds(
        this._builds.map(b => (b.id === build.id ? build : b)),
        false
      );
      this._stateChanged.emit();
      void this.refresh();
    }
    return build;
  }

  /** Delete an image. Rejects with a `ServiceError`. */
  async deleteImage(name: string): Promise<void> {
    await this._client.deleteImage(name);
    if (!this._isDisposed) {
      this._images = this._images.filter(image => image.name !== name);
      this._stateChanged.emit();
      void this.refresh();
    }
  }

  /** The request that rebuilds an image: same repository, ref, name and subdir, forced. */
  rebuildRequest(image: Image): BuildRequest {
    const request: BuildRequest = { repo: image.repo, force: true };
    if (image.ref && image.ref !== 'None') {
      request.ref = image.ref;
    }
    const name = this.imageShortName(image);
    if (name) {
      request.name = name;
    }
    if (image.displayName && image.displayName !== name) {
      request.displayName = image.displayName;
    }
    if (image.subdir) {
      request.subdir = image.subdir;
    }
    if (image.shared) {
      request.shared = true;
    }
    return request;
  }

  /**
   * The short name (`BuildRequest.name`) of an image: the name of the build that made it when
   * known, else read from its repository through the service's image name template.
   */
  imageShortName(image: Image): string | null {
    const build = this._builds.find(b => b.id === image.buildId);
    if (build) {
      return build.name;
    }
    return shortNameFromRepository(image.repository, this._info?.imageNameTemplate ?? null);
  }

  /** Watch a build: `buildFinished` is emitted when it ends. */
  watch(buildId: string): void {
    this._watched.add(buildId);
  }

  isWatched(buildId: string): boolean {
    return this._watched.has(buildId);
  }

  /** Ask the views to show and focus the build form. */
  requestForm(request: IFormRequest = {}): void {
    this._formRequested.emit(request);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._clearTimer();
    Signal.clearData(this);
  }

  private async _refresh(): Promise<void> {
    try {
      if (this._info === null || this._error !== null || Date.now() - this._infoAt > INFO_MAX_AGE) {
        const info = await this._client.getInfo();
        this._info = info;
        this._infoAt = Date.now();
      }
      if (this.canRead) {
        const [builds, images] = await Promise.all([
          this._client.listBuilds(),
          this._client.listImages()
        ]);
        const missing = await this._fetchMissingWatched(builds);
        if (this._isDisposed) {
          return;
        }
        this._images = [...images].sort((a, b) => compareDates(b.builtAt, a.builtAt));
        this._error = null;
        this._status = 'ready';
        this._updateBuilds([...builds, ...missing], true);
      } else {
        this._builds = [];
        this._images = [];
        this._error = null;
        this._status = 'ready';
      }
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._error = isServiceError(reason)
        ? reason
        : new ServiceError({
            kind: 'unexpected',
            message: this._trans.__('Unexpected error: %1', String(reason)),
            serviceUrl: this._client.location.baseUrl,
            cause: reason
          });
      this._status = 'error';
    }
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  /**
   * Watched builds that were active and are no longer listed (the service may list only recent
   * builds): fetch them one by one so that their end is not missed.
   */
  private async _fetchMissingWatched(listed: Build[]): Promise<Build[]> {
    const ids = new Set(listed.map(b => b.id));
    const lost = [...this._watched].filter(
      id => !ids.has(id) && this._phases.has(id) && !isFinal(this._phases.get(id)!)
    );
    const found = await Promise.all(lost.map(id => this._client.getBuild(id).catch(() => null)));
    return found.filter((b): b is Build => b !== null);
  }

  /** Take in a new list of builds and emit `buildFinished` for watched builds that ended. */
  private _updateBuilds(builds: Build[], replace: boolean): void {
    const finished: Build[] = [];
    for (const build of builds) {
      const before = this._phases.get(build.id);
      if (
        before !== undefined &&
        !isFinal(before) &&
        isFinal(build.phase) &&
        this._watched.has(build.id)
      ) {
        finished.push(build);
      }
      this._phases.set(build.id, build.phase);
    }
    if (replace) {
      const ids = new Set(builds.map(b => b.id));
      for (const id of [...this._phases.keys()]) {
        if (!ids.has(id) && !this._watched.has(id)) {
          this._phases.delete(id);
        }
      }
    }
    this._builds = sortBuilds(builds);
    for (const build of finished) {
      this._watched.delete(build.id);
      if (build.phase === 'cancelled' && this._cancelledHere.delete(build.id)) {
        // The user cancelled it here: no need to tell them.
        continue;
      }
      this._buildFinished.emit(build);
    }
  }

  private _onLogStreamOpened(_: IRepo2DockerClient, buildId: string): void {
    const phase = this._phases.get(buildId);
    if (phase === undefined || !isFinal(phase)) {
      this._watched.add(buildId);
    }
  }

  private _onLocationChanged(): void {
    this._info = null;
    this._builds = [];
    this._images = [];
    this._phases.clear();
    this._status = 'loading';
    this._error = null;
    this._stateChanged.emit();
    void this.refresh({ force: true });
  }

  private _schedule(): void {
    this._clearTimer();
    if (!this._started || this._isDisposed) {
      return;
    }
    if (this._error?.kind === 'unauthorized') {
      // The token will not come back to life: wait for a reload or a manual refresh.
      return;
    }
    const hidden = typeof document !== 'undefined' && document.hidden;
    const active = this.activeBuilds.length > 0 && this._error === null && !hidden;
    const seconds = active ? this._refreshInterval : this.idleRefreshInterval;
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.refresh();
    }, seconds * 1000);
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _client: IRepo2DockerClient;
  private _trans: TranslationBundle;
  private _refreshInterval: number;
  private _status: ModelStatus = 'loading';
  private _error: ServiceError | null = null;
  private _info: Info | null = null;
  private _infoAt = 0;
  private _builds: Build[] = [];
  private _images: Image[] = [];
  /** Last phase seen of each build. */
  private _phases = new Map<string, BuildPhase>();
  /** Builds whose end the user wants to hear of. */
  private _watched = new Set<string>();
  private _cancelledHere = new Set<string>();
  private _refreshing: Promise<void> | null = null;
  /** The refresh that follows the one under way, when asked for during it. */
  private _nextRefresh: Promise<void> | null = null;
  /** Whether that next refresh fetches the info again. */
  private _forceNext = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _started = false;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
  private _buildFinished = new Signal<this, Build>(this);
  private _formRequested = new Signal<this, IFormRequest>(this);
}

export namespace EnvironmentsModel {
  export interface IOptions {
    client: IRepo2DockerClient;
    /** Seconds between refreshes while builds are active. */
    refreshInterval?: number;
    translator?: ITranslator;
  }
}

function sanitizeInterval(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1
    ? value
    : DEFAULT_REFRESH_INTERVAL;
}

function compareDates(a: string | null, b: string | null): number {
  return (Date.parse(a ?? '') || 0) - (Date.parse(b ?? '') || 0);
}

/** Active builds first (oldest first, as they run), then finished ones, newest first. */
function sortBuilds(builds: Build[]): Build[] {
  return [...builds].sort((a, b) => {
    const aFinal = isFinal(a.phase);
    const bFinal = isFinal(b.phase);
    if (aFinal !== bFinal) {
      return aFinal ? 1 : -1;
    }
    return aFinal ? compareDates(b.createdAt, a.createdAt) : compareDates(a.createdAt, b.createdAt);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Read the short name out of an image repository (`registry/r2d-alice/myrepo`) through the image
 * name template (`r2d-{owner}/{name}`); the last path segment when the template does not help.
 */
export function shortNameFromRepository(
  repository: string,
  template: string | null
): string | null {
  if (template && template.includes('{name}')) {
    const pattern = escapeRegExp(template)
      .replace(/\\\{name\\\}/g, '([a-z0-9][a-z0-9._-]*)')
      .replace(/\\\{[a-zA-Z_]+\\\}/g, '.+?');
    const match = new RegExp(`(?:^|/)${pattern}$`).exec(repository);
    if (match?.[1]) {
      return match[1];
    }
  }
  const last = repository.split('/').pop() ?? '';
  return /^[a-z0-9][a-z0-9._-]{0,62}$/.test(last) ? last : null;
}
