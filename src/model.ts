/**
 * The state of the Environments panel: what the service said last, kept fresh by polling, with
 * signals for the views.
 */

import type {
  Build,
  BuildPhase,
  BuildRequest,
  Image,
  ImageList,
  Info,
  PagedImageList
} from '@jupyterlab-repo2docker/service/contract';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { isServiceError, ServiceError } from './errors';
import { FINAL_PHASES, isFinalPhase, phaseRank } from './phases';
import * as permissions from './permissions';
import { DEFAULT_REFRESH_INTERVAL, RefreshSchedule } from './refreshSchedule';
import type { IImagePageQuery, IRepo2DockerClient } from './tokens';

/** The phases after which a build does not change any more. */
export { FINAL_PHASES };

/** Whether a build is over. */
export function isFinal(phase: BuildPhase): boolean {
  return isFinalPhase(phase);
}

/** Where the model is: before its first answer, with an answer, or with an error. */
export type ModelStatus = 'loading' | 'ready' | 'error';

/** A request to show the build form, optionally prefilled. */
export interface IFormRequest {
  repo?: string;
  ref?: string;
}

/** Which list sections are folded away. */
export interface ICollapsedSections {
  builds: boolean;
  images: boolean;
}

/**
 * What the user chose about how the panel shows things (remembered across reloads by the
 * plugin, through the state database): folded sections, "mine only", and the finished builds
 * they cleared from the list (the service has no route to forget a build).
 */
export interface IViewState {
  collapsed: ICollapsedSections;
  mineOnly: boolean;
  /** Ids of finished builds the user cleared from the list. */
  hiddenBuilds: string[];
}

/**
 * Image rows asked for at first, and added by each "Show more": enough to work with, few enough
 * that a list of 5,000 images paints at once (issue 17).
 */
export const IMAGE_PAGE_SIZE = 50;

/** The most images the service answers in one page (`MAX_LIMIT` in service/src/http/image-page.ts). */
const MAX_PAGE = 1000;

/** How long (ms) the filter text must rest before the service is asked for it. */
export const FILTER_DELAY = 200;

/** How the service answered the image list. */
type ImagePaging =
  /** Not asked yet. */
  | 'unknown'
  /** One page at a time, filtered by the service (`total` in the answer). */
  | 'paged'
  /** The whole list, filtered here: a service without paging, or `imagePageSize: Infinity`. */
  | 'whole';

/** Counts of the image list as the section shows them. */
export interface IImageCounts {
  /** Images that match the filter and "mine only". */
  matching: number;
  /** Images there are before the filter. */
  total: number;
  /** Matching images the service has not sent yet (the "Show more" button); `null` when it sent them all. */
  more: number | null;
}

/** What one fetch of the image list brought. */
interface IImagesAnswer {
  images: Image[];
  paging: ImagePaging;
  matching: number;
  total: number;
  /** What was asked (`_imageQueryKey`). */
  query: string;
}

/** How many cleared build ids are remembered at most (the service keeps 200 by default). */
const MAX_HIDDEN = 1000;

export { DEFAULT_REFRESH_INTERVAL };

/** How old (ms) the service info may get before a refresh fetches it again. */
const INFO_MAX_AGE = 60_000;

/**
 * How long (ms) the service may stay unreachable before the panel stops retrying by itself and
 * says so (a Retry button and the log viewers' own retries remain).
 */
export const OUTAGE_LIMIT = 5 * 60_000;

/** The Environments panel's state. */
export class EnvironmentsModel {
  constructor(options: EnvironmentsModel.IOptions) {
    this._client = options.client;
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_repo2docker'
    );
    this._schedule = new RefreshSchedule({
      refresh: () => this.refresh(),
      interval: options.refreshInterval
    });
    this._pageSize = Math.max(1, options.imagePageSize ?? IMAGE_PAGE_SIZE);
    this._imageLimit = this._pageSize;
    this._filterDelay = options.filterDelay ?? FILTER_DELAY;
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

  /**
   * Images, newest first: the page the panel shows (of the filter text and "mine only" as the
   * service was last asked), or every image from a service without paging.
   */
  get images(): readonly Image[] {
    return this._images;
  }

  /**
   * Every image seen since the panel started, newest first: the listed ones and those of pages
   * shown before (the launcher labels running servers with them).
   */
  get knownImages(): readonly Image[] {
    if (this._paging !== 'paged') {
      return this._images;
    }
    return [...this._known.values()].sort((a, b) =>
      compareDates(b.builtAt, a.builtAt)
    );
  }

  /** Whether the service pages the image list (else the whole list is here, filtered here). */
  get imagesPaged(): boolean {
    return this._paging === 'paged';
  }

  /** Image rows per page ("Show more" adds as many). */
  get imagePageSize(): number {
    return this._pageSize;
  }

  /** Whether a page of images was asked for (filter, "mine only", "show more") and is not in yet. */
  get imagesLoading(): boolean {
    return this._imagesLoading;
  }

  /** How many images match, of how many, and how many more the service has. */
  get imageCounts(): IImageCounts {
    if (this._paging !== 'paged') {
      return {
        matching: this.visibleImages.length,
        total: this._images.length,
        more: null
      };
    }
    return {
      matching: this._imageMatching,
      total: this._imageTotal,
      more: Math.max(0, this._imageMatching - this._images.length)
    };
  }

  /** List the next page of images too (the "Show more images" button). */
  showMoreImages(): void {
    if (this._paging !== 'paged') {
      return;
    }
    this._imageLimit += this._pageSize;
    this._reloadImages();
  }

  /**
   * The builds the panel lists: not cleared by the user, of the user when "mine only", and
   * matching the filter.
   */
  get visibleBuilds(): readonly Build[] {
    const user = this._info?.user.name;
    return this._builds.filter(
      build =>
        !this._hidden.has(build.id) &&
        (!this._mineOnly || build.owner === user) &&
        matchesFilter(this._filter, [
          build.displayName,
          build.name,
          build.repo,
          build.ref,
          build.image,
          build.owner
        ])
    );
  }

  /**
   * The images the panel lists: of the user when "mine only", and matching the filter. A paging
   * service filtered them already (for the filter text once it rested `filterDelay` ms).
   */
  get visibleImages(): readonly Image[] {
    if (this._paging === 'paged') {
      return this._images;
    }
    const user = this._info?.user.name;
    return this._images.filter(
      image =>
        (!this._mineOnly || image.owner === user) &&
        matchesFilter(this._filter, [
          image.displayName,
          image.name,
          image.repo,
          image.ref,
          image.owner
        ])
    );
  }

  /** Builds cleared from the list that are still known. */
  get hiddenBuildCount(): number {
    return this._builds.filter(build => this._hidden.has(build.id)).length;
  }

  /** Finished (or gone) builds that "clear finished" would hide. */
  get finishedBuildCount(): number {
    return this._builds.filter(
      build => isFinal(build.phase) && !this._hidden.has(build.id)
    ).length;
  }

  /** Whether any build or image belongs to someone else (an admin sees everyone's). */
  get hasOthers(): boolean {
    const user = this._info?.user.name;
    return (
      user !== undefined &&
      (this._images.some(image => image.owner !== user) ||
        this._builds.some(build => build.owner !== user))
    );
  }

  /** The text the lists are filtered by. */
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._stateChanged.emit();
      this._scheduleImageQuery();
    }
  }

  /** Whether only the user's own builds and images are listed. */
  get mineOnly(): boolean {
    return this._mineOnly;
  }
  set mineOnly(value: boolean) {
    if (value !== this._mineOnly) {
      this._mineOnly = value;
      this._viewChanged();
      if (this._paging === 'paged') {
        this._imageLimit = this._pageSize;
        this._reloadImages();
      }
    }
  }

  /** Which sections are folded. */
  get collapsed(): Readonly<ICollapsedSections> {
    return this._collapsed;
  }

  /** Fold or unfold a section. */
  setCollapsed(section: keyof ICollapsedSections, collapsed: boolean): void {
    if (this._collapsed[section] !== collapsed) {
      this._collapsed = { ...this._collapsed, [section]: collapsed };
      this._viewChanged();
    }
  }

  /** Hide every finished build from the list (they stay at the service, and come back with `showHidden`). */
  clearFinished(): void {
    let changed = false;
    for (const build of this._builds) {
      if (isFinal(build.phase) && !this._hidden.has(build.id)) {
        this._hidden.add(build.id);
        changed = true;
      }
    }
    if (this._gone.size > 0) {
      // The service forgot these already: nothing would bring them back.
      this._builds = this._builds.filter(build => !this._gone.has(build.id));
      this._gone.clear();
      changed = true;
    }
    if (changed) {
      this._viewChanged();
    }
  }

  /** List the cleared builds again. */
  showHidden(): void {
    if (this._hidden.size > 0) {
      this._hidden.clear();
      this._viewChanged();
    }
  }

  /** The view choices, to remember them. */
  get viewState(): IViewState {
    return {
      collapsed: { ...this._collapsed },
      mineOnly: this._mineOnly,
      hiddenBuilds: [...this._hidden].slice(-MAX_HIDDEN)
    };
  }

  /** Restore remembered view choices (unknown or malformed parts are ignored). */
  restoreViewState(state: Partial<IViewState> | null | undefined): void {
    if (!state || typeof state !== 'object') {
      return;
    }
    if (state.collapsed && typeof state.collapsed === 'object') {
      this._collapsed = {
        builds: state.collapsed.builds === true,
        images: state.collapsed.images === true
      };
    }
    if (typeof state.mineOnly === 'boolean') {
      this._mineOnly = state.mineOnly;
    }
    if (Array.isArray(state.hiddenBuilds)) {
      this._hidden = new Set(
        state.hiddenBuilds.filter((id): id is string => typeof id === 'string')
      );
    }
    this._stateChanged.emit();
  }

  /** Emitted when a view choice changes (to remember it). */
  get viewStateChanged(): ISignal<this, IViewState> {
    return this._viewStateChanged;
  }

  /**
   * Whether the service lost this build: it was running, and the service no longer knows it
   * (it restarted). Its log is gone.
   */
  isGone(buildId: string): boolean {
    return this._isGoneId(buildId);
  }

  /** Whether the service keeps a log of this build (an image's build, or a listed one). */
  hasLog(buildId: string): boolean {
    if (this._isGoneId(buildId)) {
      return false;
    }
    const build = this._builds.find(b => b.id === buildId);
    return build !== undefined && build.logAvailable !== false;
  }

  /** Since when (epoch ms) refreshes fail because the service is away; `null` when it answers. */
  get outageSince(): number | null {
    return this._outageSince;
  }

  /** Whether the panel stopped retrying by itself after a long outage. */
  get gaveUp(): boolean {
    return this._gaveUp;
  }

  get activeBuilds(): readonly Build[] {
    return this._builds.filter(build => !isFinal(build.phase));
  }

  /** Whether the caller may start builds (known once the info is loaded). */
  get canBuild(): boolean {
    return permissions.canBuild(this._info?.user);
  }

  /** Whether the caller may list images and builds. */
  get canRead(): boolean {
    return permissions.canRead(this._info?.user);
  }

  /** Whether the caller may build into the shared namespace. */
  get canShare(): boolean {
    return permissions.canShare(this._info?.user);
  }

  /** Read-only: the info says the caller may not build. */
  get readOnly(): boolean {
    return this._info !== null && !this.canBuild;
  }

  /** Whether the caller may cancel this build. */
  canCancel(build: Build): boolean {
    return permissions.canCancel(this._info?.user, build, isFinal(build.phase));
  }

  /** Whether the caller may delete this image. */
  canDelete(image: Image): boolean {
    return permissions.canDelete(this._info?.user, image);
  }

  /** Whether the caller may rebuild this image. */
  canRebuild(image: Image): boolean {
    return permissions.canRebuild(this._info?.user, image);
  }

  /** Seconds between refreshes while builds are active. */
  get refreshInterval(): number {
    return this._schedule.interval;
  }
  set refreshInterval(value: number) {
    const before = this._schedule.interval;
    this._schedule.interval = value;
    if (this._schedule.interval !== before && !this._refreshing) {
      this._scheduleNext();
    }
  }

  /** Seconds between refreshes when nothing is active. */
  get idleRefreshInterval(): number {
    return this._schedule.idleInterval;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Load the first state and keep polling until disposed. */
  start(): Promise<void> {
    this._schedule.start();
    return this.refresh();
  }

  /** Stop polling (until `start`). */
  stop(): void {
    this._schedule.stop();
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
    if (options.force) {
      // Asked for by the user: retry even after giving up.
      this._gaveUp = false;
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
    // No tick while this runs: the next one is scheduled when it is over.
    this._schedule.pause();
    this._refreshing = this._refresh().finally(() => {
      this._refreshing = null;
      if (!this._nextRefresh) {
        this._scheduleNext();
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
    if (phaseRank(phase) <= phaseRank(build.phase)) {
      return;
    }
    if (isFinal(phase)) {
      void this.refresh();
      return;
    }
    this._phases.set(buildId, phase);
    this._builds = sortBuilds(
      this._builds.map(b => (b.id === buildId ? { ...b, phase } : b))
    );
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
    this._builds = sortBuilds([
      build,
      ...this._builds.filter(b => b.id !== build.id)
    ]);
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
      const before = this._images.length;
      this._images = this._images.filter(image => image.name !== name);
      this._known.delete(name);
      if (this._paging === 'paged' && this._images.length < before) {
        this._imageMatching = Math.max(0, this._imageMatching - 1);
        this._imageTotal = Math.max(0, this._imageTotal - 1);
      }
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
    return shortNameFromRepository(
      image.repository,
      this._info?.imageNameTemplate ?? null
    );
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
    // Kept until a form takes it: the form is not there before the service info is loaded.
    this._pendingForm = request;
    this._formRequested.emit(request);
  }

  /** The form request not yet taken by a form, taken now (`null` when none). */
  takeFormRequest(): IFormRequest | null {
    const request = this._pendingForm;
    this._pendingForm = null;
    return request;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._queryTimer !== null) {
      clearTimeout(this._queryTimer);
      this._queryTimer = null;
    }
    this._schedule.dispose();
    Signal.clearData(this);
  }

  private async _refresh(): Promise<void> {
    try {
      if (
        this._info === null ||
        this._error !== null ||
        Date.now() - this._infoAt > INFO_MAX_AGE
      ) {
        const info = await this._client.getInfo();
        this._info = info;
        this._infoAt = Date.now();
      }
      if (this.canRead) {
        const seq = ++this._imageSeq;
        const [builds, images] = await Promise.all([
          this._client.listBuilds(),
          this._fetchImages()
        ]);
        const missing = await this._fetchMissing(builds);
        if (this._isDisposed) {
          return;
        }
        // Else a page asked for meanwhile (new filter text) brings the images.
        const behind = seq === this._imageSeq && this._takeImages(images);
        this._error = null;
        this._status = 'ready';
        this._outageSince = null;
        this._failures = 0;
        const listed = [...builds, ...missing];
        const ids = new Set(listed.map(b => b.id));
        const gone = [...this._gone.values()].filter(b => !ids.has(b.id));
        this._updateBuilds([...listed, ...gone], true);
        this._pruneHidden(ids);
        if (behind) {
          this._reloadImages();
        }
      } else {
        this._builds = [];
        this._images = [];
        this._known.clear();
        this._error = null;
        this._status = 'ready';
      }
    } catch (reason) {
      if (this._isDisposed) {
        return;
      }
      this._imagesLoading = false;
      this._error = isServiceError(reason)
        ? reason
        : new ServiceError({
            kind: 'unexpected',
            message: this._trans.__('Unexpected error: %1', String(reason)),
            serviceUrl: this._client.location.baseUrl,
            cause: reason
          });
      this._status = 'error';
      this._failures++;
      if (this._error.kind === 'unreachable' || this._error.kind === 'server') {
        this._outageSince = this._outageSince ?? Date.now();
        if (Date.now() - this._outageSince >= OUTAGE_LIMIT) {
          this._gaveUp = true;
        }
      }
    }
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  /**
   * The image list as the panel shows it: with a paging service, the first `limit` images of the
   * filter text and owner (in pages of at most `MAX_PAGE`), with a second small page for the count
   * before the filter when filtering; else the whole list, as services without paging answer it.
   */
  private async _fetchImages(): Promise<IImagesAnswer> {
    const client = this._client;
    if (
      this._paging === 'whole' ||
      this._pageSize === Infinity ||
      !client.listImagePage
    ) {
      return this._wholeList();
    }
    const listPage = (query: IImagePageQuery) => client.listImagePage!(query);
    const query = this._imageQueryKey();
    const owner = this._mineOnly ? this._info?.user.name : undefined;
    const q = this._imageQ;
    const filtered = q !== '' || owner !== undefined;
    let first: PagedImageList | ImageList;
    let unfiltered: PagedImageList | ImageList | null;
    try {
      [first, unfiltered] = await Promise.all([
        listPage({ limit: Math.min(this._imageLimit, MAX_PAGE), q, owner }),
        filtered ? listPage({ limit: 1 }) : Promise.resolve(null)
      ]);
    } catch (reason) {
      if (
        isServiceError(reason) &&
        reason.status === 400 &&
        ['limit', 'offset', 'q'].includes(reason.field ?? '')
      ) {
        // A service from before paging refuses the keys: ask it for the whole list.
        this._paging = 'whole';
        return this._wholeList();
      }
      throw reason;
    }
    if (!isPaged(first) || (unfiltered !== null && !isPaged(unfiltered))) {
      return this._wholeList(first.images);
    }
    const images = [...first.images];
    for (
      let offset = MAX_PAGE;
      offset < Math.min(this._imageLimit, first.total);
      offset += MAX_PAGE
    ) {
      const page = await listPage({
        limit: Math.min(MAX_PAGE, this._imageLimit - offset),
        offset,
        q,
        owner
      });
      images.push(...page.images);
    }
    return {
      images,
      paging: 'paged',
      matching: first.total,
      total: unfiltered && isPaged(unfiltered) ? unfiltered.total : first.total,
      query
    };
  }

  /** What the image page depends on: the filter text asked for, the owner, the limit. */
  private _imageQueryKey(): string {
    return JSON.stringify([
      this._imageQ,
      this._mineOnly ? (this._info?.user.name ?? null) : null,
      this._imageLimit
    ]);
  }

  private async _wholeList(given?: Image[]): Promise<IImagesAnswer> {
    const images = [...(given ?? (await this._client.listImages()))].sort(
      (a, b) => compareDates(b.builtAt, a.builtAt)
    );
    return {
      images,
      paging: 'whole',
      matching: images.length,
      total: images.length,
      query: ''
    };
  }

  /** Take in an image answer; whether it is already behind what the panel shows now. */
  private _takeImages(answer: IImagesAnswer): boolean {
    this._paging = answer.paging;
    this._images = answer.images;
    this._imageMatching = answer.matching;
    this._imageTotal = answer.total;
    this._imagesLoading = false;
    if (answer.paging === 'paged') {
      for (const image of answer.images) {
        this._known.set(image.name, image);
      }
    }
    // The filter, "mine only" or the limit may have changed while this was asked (e.g. before
    // the first answer said the service pages).
    return answer.paging === 'paged' && answer.query !== this._imageQueryKey();
  }

  /** Ask for the page of the filter text after it rested (at once when cleared). */
  private _scheduleImageQuery(): void {
    if (this._queryTimer !== null) {
      clearTimeout(this._queryTimer);
      this._queryTimer = null;
    }
    if (this._paging !== 'paged') {
      // The whole list is here (or not yet): the filter applies to it, or to the first page.
      this._imageQ = this._filter.trim();
      return;
    }
    const apply = () => {
      this._queryTimer = null;
      const q = this._filter.trim();
      if (q !== this._imageQ) {
        this._imageQ = q;
        this._imageLimit = this._pageSize;
        this._reloadImages();
      }
    };
    if (this._filter.trim() === '') {
      apply();
    } else {
      this._queryTimer = setTimeout(apply, this._filterDelay);
    }
  }

  /**
   * Fetch the image page again now (the filter, "mine only" or the limit changed), without
   * waiting for the next poll. An answer overtaken by a newer request is dropped; a failure is
   * left to the refresh it starts, which reports it.
   */
  private _reloadImages(): void {
    if (this._isDisposed || this._status !== 'ready' || !this.canRead) {
      return;
    }
    const seq = ++this._imageSeq;
    this._imagesLoading = true;
    this._stateChanged.emit();
    this._fetchImages().then(
      answer => {
        if (seq === this._imageSeq && !this._isDisposed) {
          if (this._takeImages(answer)) {
            this._reloadImages();
          }
          this._stateChanged.emit();
        }
      },
      () => {
        if (seq === this._imageSeq && !this._isDisposed) {
          this._imagesLoading = false;
          void this.refresh();
        }
      }
    );
  }

  /** Forget cleared ids of builds the service no longer lists (once it answered). */
  private _pruneHidden(listed: ReadonlySet<string>): void {
    let changed = false;
    for (const id of [...this._hidden]) {
      if (!listed.has(id)) {
        this._hidden.delete(id);
        changed = true;
      }
    }
    if (changed) {
      this._viewStateChanged.emit(this.viewState);
    }
  }

  private _isGoneId(buildId: string): boolean {
    return this._gone.has(buildId);
  }

  private _viewChanged(): void {
    this._stateChanged.emit();
    this._viewStateChanged.emit(this.viewState);
  }

  /**
   * Builds that were active and are no longer listed: fetch them one by one so that the end of
   * a watched one is not missed (the service may list only recent builds). One the service
   * answers 404 for was lost in a restart: it becomes "gone" (shown as such, its log too).
   */
  private async _fetchMissing(listed: Build[]): Promise<Build[]> {
    const ids = new Set(listed.map(b => b.id));
    const lost = this._builds.filter(
      b => !ids.has(b.id) && !isFinal(b.phase) && !this._gone.has(b.id)
    );
    for (const id of this._watched) {
      const phase = this._phases.get(id);
      if (
        !ids.has(id) &&
        phase !== undefined &&
        !isFinal(phase) &&
        !lost.some(b => b.id === id)
      ) {
        const known = this._builds.find(b => b.id === id);
        if (known) {
          lost.push(known);
        }
      }
    }
    const found = await Promise.all(
      lost.map(build =>
        this._client.getBuild(build.id).catch(reason => {
          if (isServiceError(reason) && reason.status === 404) {
            // Shown as over (nothing runs it any more), without a log and without a cancel.
            this._gone.set(build.id, {
              ...build,
              phase: 'cancelled',
              progress: null,
              queuePosition: null,
              logAvailable: false,
              error: this._trans.__(
                "This build's log is gone: the service restarted."
              )
            });
            this._watched.delete(build.id);
          }
          return null;
        })
      )
    );
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
    this._gone.clear();
    this._info = null;
    this._builds = [];
    this._images = [];
    this._known.clear();
    this._paging = 'unknown';
    this._imageLimit = this._pageSize;
    this._phases.clear();
    this._status = 'loading';
    this._error = null;
    this._stateChanged.emit();
    void this.refresh({ force: true });
  }

  /** Schedule the next refresh from what this one found. */
  private _scheduleNext(): void {
    if (this._isDisposed) {
      return;
    }
    const failed = this._error !== null;
    this._schedule.after({
      active: this.activeBuilds.length > 0 && !failed,
      failures: failed ? this._failures : 0,
      // The token will not come back to life, or the service stayed away too long: wait for a
      // reload or a manual refresh.
      waitForUser: this._error?.kind === 'unauthorized' || this._gaveUp
    });
  }

  private _client: IRepo2DockerClient;
  private _trans: TranslationBundle;
  private _schedule: RefreshSchedule;
  private _status: ModelStatus = 'loading';
  private _error: ServiceError | null = null;
  private _info: Info | null = null;
  private _infoAt = 0;
  private _builds: Build[] = [];
  private _images: Image[] = [];
  /** Every image of the pages seen, by name (`knownImages`). */
  private _known = new Map<string, Image>();
  private _paging: ImagePaging = 'unknown';
  private _pageSize: number;
  /** How many images the panel asks for: a page, and one more per "Show more". */
  private _imageLimit: number;
  /** The filter text the service was asked for (the filter once it rested). */
  private _imageQ = '';
  private _imageMatching = 0;
  private _imageTotal = 0;
  private _imagesLoading = false;
  /** Counts image fetches, so that an answer overtaken by a newer question is dropped. */
  private _imageSeq = 0;
  private _filterDelay: number;
  private _queryTimer: ReturnType<typeof setTimeout> | null = null;
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
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
  private _buildFinished = new Signal<this, Build>(this);
  private _formRequested = new Signal<this, IFormRequest>(this);
  private _viewStateChanged = new Signal<this, IViewState>(this);
  private _pendingForm: IFormRequest | null = null;
  private _filter = '';
  private _mineOnly = false;
  private _collapsed: ICollapsedSections = { builds: false, images: false };
  private _hidden = new Set<string>();
  /** Builds the service lost (it restarted while they ran), as last seen. */
  private _gone = new Map<string, Build>();
  private _outageSince: number | null = null;
  private _failures = 0;
  private _gaveUp = false;
}

export namespace EnvironmentsModel {
  export interface IOptions {
    client: IRepo2DockerClient;
    /** Seconds between refreshes while builds are active. */
    refreshInterval?: number;
    translator?: ITranslator;
    /**
     * Image rows asked for at first and per "Show more" (default `IMAGE_PAGE_SIZE`). `Infinity`
     * asks for the whole list and filters it here, as before paging (the scale benchmark's
     * baseline).
     */
    imagePageSize?: number;
    /** How long (ms) the filter text rests before the service is asked (default `FILTER_DELAY`). */
    filterDelay?: number;
  }
}

/** Whether the service answered a page (with `total`), not the whole list. */
function isPaged(answer: PagedImageList | ImageList): answer is PagedImageList {
  return typeof (answer as Partial<PagedImageList>).total === 'number';
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
    return aFinal
      ? compareDates(b.createdAt, a.createdAt)
      : compareDates(a.createdAt, b.createdAt);
  });
}

/** Whether every word of `filter` occurs (case-insensitively) in one of `fields`. */
export function matchesFilter(
  filter: string,
  fields: readonly (string | null)[]
): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const text = fields.filter(Boolean).join('\n').toLowerCase();
  return words.every(word => text.includes(word));
}

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
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
