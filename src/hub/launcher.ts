/**
 * Servers started from environments: the state behind "Start server", "Build and start" and the
 * "Running servers" section. It starts named servers through the hub (`hubApi.ts`), follows each
 * start's progress to the end, opens the new server's JupyterLab in a tab, lists the user's
 * servers that run an environment's image (kept fresh on the panel's `RefreshSchedule`, a
 * `Poll`), and knows when the hub cannot do any of it (missing scopes, named servers off).
 */

import type {
  Build,
  Image,
  Info
} from '@jupyterlab-repo2docker/service/contract';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { escapeRegExp, isFinal, type EnvironmentsModel } from '../model';
import { RefreshSchedule } from '../refreshSchedule';
import {
  HubClient,
  HubError,
  isHubError,
  missingServerScopes,
  SERVER_SCOPES,
  type IHubServer
} from './hubApi';
import {
  missingScopesMessage,
  namedServersDiagnosis,
  scopesDiagnosis,
  hubErrorWords
} from './hubWords';
import { serverNameFor } from './serverName';

/** Under a hub, servers are started through it; on a laptop the panel shows `docker run`. */
export type LaunchMode = 'hub' | 'laptop';

/** The label the panel gives an image (as on its other buttons: `Delete <label>`). */
export function imageLabel(image: Image): string {
  return image.displayName || image.repository;
}

/** The label of a build (as on `Cancel build of <label>`). */
export function buildLabelOf(build: Build): string {
  return build.displayName || build.name;
}

/** One start under way (or just ended badly), as the panel shows it. */
export interface IServerStart {
  /** The named server's name, or the build's id while waiting for a build. */
  key: string;
  /** The server's name (`''` while waiting for the build). */
  name: string;
  label: string;
  image: string;
  /**
   * `building`: waiting for the build to end before starting; `starting`: the hub is spawning;
   * `ready`: up, but the tab could not be opened (popup blocked); `failed`: did not start.
   */
  status: 'building' | 'starting' | 'ready' | 'failed';
  /** 0-100 when the hub says. */
  progress: number | null;
  /** The hub's latest progress message (or what went wrong). */
  message: string;
  diagnosis: string | null;
  /** The new server's JupyterLab, once ready. */
  url: string | null;
}

/** A running (or starting, or stopping) server of the user that runs an environment. */
export interface IEnvironmentServer extends IHubServer {
  image: string;
  /** The label of its environment. */
  label: string;
  /** Its JupyterLab. */
  labUrl: string;
}

/** Why the hub cannot start servers from here, with what an administrator changes. */
export interface IHubProblem {
  kind: 'missing_scope' | 'named_servers_off';
  message: string;
  diagnosis: string;
  /** The hub scopes the token lacks (for `missing_scope`). */
  scopes: string[];
}

/** A tab opened before its URL is known. */
export interface IPendingTab {
  /** Go to `url`; `false` when the user closed the tab meanwhile. */
  show(url: string): boolean;
  close(): void;
}

/**
 * A blank tab of this origin saying `message`, opened while the user's click still allows it;
 * `null` when the browser refused it (the URL then opens at the end, or stays as a link).
 */
export function openPendingTab(message: string): IPendingTab | null {
  const tab = typeof window !== 'undefined' ? window.open('', '_blank') : null;
  if (!tab) {
    return null;
  }
  try {
    tab.document.title = message;
    tab.document.body.textContent = message;
  } catch {
    // Not scriptable (another origin's policy): a blank tab does as well.
  }
  return {
    show: url => {
      if (tab.closed) {
        return false;
      }
      tab.location.href = url;
      return true;
    },
    close: () => {
      if (!tab.closed) {
        tab.close();
      }
    }
  };
}

/**
 * Whether `image` is named as the service names its images: its `imageNameTemplate` with any
 * owner namespace and name (`r2d-{owner}/{name}` → `r2d-alice/analysis:<commit>`), after the
 * registry's host when there is one.
 */
export function isEnvironmentImage(info: Info | null, image: string): boolean {
  if (!info) {
    return false;
  }
  const pattern = info.imageNameTemplate
    .split(/(\{owner\}|\{name\})/)
    .map(part =>
      part === '{owner}'
        ? '[a-z0-9-]+'
        : part === '{name}'
          ? '[a-z0-9][a-z0-9._-]*'
          : escapeRegExp(part)
    )
    .join('');
  // The registry's host as image names carry it (`host[:port]/…`), with or without a scheme.
  const host = info.registry?.url
    .replace(/^[a-z]+:\/\//, '')
    .replace(/\/.*$/, '');
  const registry = host ? `(?:${escapeRegExp(host)}/)?` : '';
  return new RegExp(`^${registry}${pattern}:[A-Za-z0-9_.-]+$`).test(image);
}

/** An image name without its tag: `r2d-alice/analysis:abc` → `r2d-alice/analysis`. */
function repositoryOf(image: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > slash ? image.slice(0, colon) : image;
}

export class ServerLauncher {
  constructor(options: ServerLauncher.IOptions) {
    this._model = options.model;
    this._hub = options.hub;
    this._trans =
      options.trans ??
      (options.translator ?? nullTranslator).load('jupyterlab_repo2docker');
    this._open =
      options.open ??
      ((url: string) =>
        typeof window !== 'undefined' ? window.open(url, '_blank') : null);
    // An opener of one's own (tests) opens the final URL only, unless it brings its own tab.
    this._openPending =
      options.openPending ?? (options.open ? () => null : openPendingTab);
    this._random = options.random ?? Math.random;
    this._schedule = new RefreshSchedule({
      refresh: () => this.refresh(),
      interval: options.refreshInterval ?? this._model.refreshInterval
    });
    this._model.stateChanged.connect(this._onModelChanged, this);
  }

  /** Emitted whenever anything the views show changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** `laptop` without a hub, or when the service runs for this machine only (`auth: local`). */
  get mode(): LaunchMode {
    return this._hub && this._model.info?.auth !== 'local' ? 'hub' : 'laptop';
  }

  get hub(): HubClient | null {
    return this._hub;
  }

  /** The user's servers that run an environment's image, by name. */
  get servers(): readonly IEnvironmentServer[] {
    const labels = new Map(
      this._model.knownImages.map(image => [image.name, imageLabel(image)])
    );
    const result: IEnvironmentServer[] = [];
    for (const server of this._servers) {
      if (!server.image || !server.name) {
        continue;
      }
      // An image of the service not on the pages the panel showed is still an environment:
      // named by its repository, as images without a display name are.
      const label =
        labels.get(server.image) ??
        this._startedHere.get(server.name) ??
        (isEnvironmentImage(this._model.info, server.image)
          ? repositoryOf(server.image)
          : undefined);
      if (label === undefined) {
        continue;
      }
      result.push({
        ...server,
        image: server.image,
        label,
        labUrl: this._hub ? this._hub.labUrl(server.url) : server.url
      });
    }
    return result.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Starts under way, and those that failed (until dismissed). */
  get starts(): readonly IServerStart[] {
    return [...this._starts.values()];
  }

  /** Why starting cannot work here, once known; `null` when nothing is known to be wrong. */
  get problem(): IHubProblem | null {
    return this._problem;
  }

  /** Names of servers being stopped from here. */
  isStopping(name: string): boolean {
    return this._stopping.has(name);
  }

  /**
   * The launch link of a repository: the service's `launch` route, which builds if needed and
   * starts a server (`{hub base}services/<name>/launch?repo=&ref=&subdir=`). `null` on a laptop
   * or for what has no repository (a folder build).
   */
  launchLink(source: {
    repo: string;
    ref?: string | null;
    subdir?: string | null;
  }): string | null {
    const location = this._model.client.location;
    if (this.mode !== 'hub' || location.transport !== 'hub' || !source.repo) {
      return null;
    }
    const params = [`repo=${encodeURIComponent(source.repo)}`];
    if (source.ref && source.ref !== 'None') {
      params.push(`ref=${encodeURIComponent(source.ref)}`);
    }
    if (source.subdir) {
      params.push(`subdir=${encodeURIComponent(source.subdir)}`);
    }
    const here =
      typeof window !== 'undefined'
        ? window.location.href
        : 'http://localhost/';
    return new URL(
      `launch?${params.join('&')}`,
      new URL(location.baseUrl, here)
    ).href;
  }

  /** Load the servers and keep them fresh until disposed. */
  start(): Promise<void> {
    if (this.mode === 'laptop' && !this._hub) {
      return Promise.resolve();
    }
    this._schedule.start();
    return this.refresh();
  }

  /**
   * Look at the hub again: the token's scopes (once), then the user's servers. Failures other
   * than a missing scope are kept quiet here (the lists keep what they had): the panel's own
   * refresh reports an unreachable service, and a start reports its own failure.
   */
  async refresh(): Promise<void> {
    const hub = this._hub;
    if (!hub || this._isDisposed || this.mode !== 'hub') {
      return;
    }
    if (this._refreshing) {
      // This one may have asked the hub before what prompted the call (a start, a stop): one
      // more look after it, shared by every call meanwhile.
      this._next =
        this._next ??
        this._refreshing.then(() => {
          this._next = null;
          return this.refresh();
        });
      return this._next;
    }
    this._schedule.pause();
    this._refreshing = this._refresh(hub).finally(() => {
      this._refreshing = null;
      this._schedule.after({
        active:
          this._stopping.size > 0 ||
          [...this._starts.values()].some(s => s.status === 'starting') ||
          this._servers.some(s => s.pending !== null),
        failures: this._failures,
        waitForUser: this._problem?.scopes.includes(SERVER_SCOPES.read) === true
      });
    });
    return this._refreshing;
  }

  /**
   * Start a new named server in `image` and open its JupyterLab in a tab when it is ready.
   * Resolves with how it ended (never rejects): a failure stays listed in `starts` with its words.
   */
  async startServer(image: string, label: string): Promise<IServerStart> {
    const hub = this._hub;
    if (!hub || this.mode !== 'hub') {
      throw new Error(
        'No hub to start servers on: use the docker run command.'
      );
    }
    // The tab opens now, while the click still counts as the user's: browsers block a tab
    // opened when the spawn is ready, seconds later. It shows where the server will be.
    const tab = this._openPending(
      this._trans.__('Starting a server in %1…', label)
    );
    const taken = new Set<string>(this._servers.map(s => s.name));
    try {
      for (const server of await hub.listServers()) {
        taken.add(server.name);
      }
    } catch {
      // Start anyway with the names known: the hub refuses a name that is taken after all.
    }
    for (const key of this._starts.keys()) {
      taken.add(key);
    }
    const name = serverNameFor(image, taken, this._random);
    const start: IServerStart = {
      key: name,
      name,
      label,
      image,
      status: 'starting',
      progress: null,
      message: this._trans.__('Asking the hub to start %1…', name),
      diagnosis: null,
      url: null
    };
    this._startedHere.set(name, label);
    this._setStart(start);
    // The row as it is now (dismissed meanwhile: as it began).
    const current = () => this._starts.get(name) ?? start;
    try {
      await hub.startServer(name, image);
      void this.refresh();
      const ready = await hub.followProgress(name, event => {
        this._setStart({
          ...current(),
          progress: event.progress,
          message: event.message || current().message
        });
      });
      const url = hub.labUrl(
        ready.url ?? `${hub.baseUrl}user/${hub.user}/${name}/`
      );
      const opened = tab?.show(url) || this._open(url) !== null;
      const done: IServerStart = {
        ...current(),
        status: 'ready',
        progress: 100,
        message: ready.message,
        url
      };
      if (opened) {
        this._starts.delete(name);
        this._stateChanged.emit();
      } else {
        // A blocked popup: the row stays with a link to open it by hand.
        this._setStart({
          ...done,
          message: this._trans.__(
            '%1 is ready; the browser did not open it in a new tab.',
            name
          )
        });
      }
      void this.refresh();
      return done;
    } catch (reason) {
      tab?.close();
      const error = this._asHubError(reason);
      this._noteProblem(error);
      const failed: IServerStart = {
        ...current(),
        status: 'failed',
        message: error.message,
        diagnosis: error.diagnosis
      };
      this._setStart(failed);
      void this.refresh();
      return failed;
    }
  }

  /** Start a server in the image of `image` (the panel's "Start server in <label>"). */
  startImage(image: Image): Promise<IServerStart> {
    return this.startServer(image.name, imageLabel(image));
  }

  /**
   * "Build and start": start a server in the image of `build` once it is built. An answer that
   * it was already built starts at once; a build that fails or is cancelled starts nothing
   * (resolves `null`; the failure stays listed in `starts`).
   */
  async startAfterBuild(build: Build): Promise<IServerStart | null> {
    const built = await this.whenBuilt(build);
    return built ? this.startServer(built.image, built.label) : null;
  }

  /**
   * Wait for `build` to end: its image and label once built (at once for an answer that it was
   * already built), `null` when it failed or was cancelled. Meanwhile `starts` lists it.
   */
  whenBuilt(build: Build): Promise<{ image: string; label: string } | null> {
    const label = buildLabelOf(build);
    if (build.alreadyBuilt || build.phase === 'built') {
      return Promise.resolve(this._built(build, label));
    }
    this._setStart({
      key: build.id,
      name: '',
      label,
      image: build.image,
      status: 'building',
      progress: null,
      message:
        this.mode === 'hub'
          ? this._trans.__(
              'Building %1; its server starts when the build is done.',
              label
            )
          : this._trans.__(
              'Building %1; the command that starts it is shown when the build is done.',
              label
            ),
      diagnosis: null,
      url: null
    });
    return new Promise(resolve => {
      this._afterBuild.set(build.id, { label, resolve });
      this._onModelChanged();
    });
  }

  /** Stop a server and remove it from the hub (its name is free again). */
  async stop(name: string): Promise<void> {
    const hub = this._hub;
    if (!hub) {
      return;
    }
    this._stopping.add(name);
    this._stateChanged.emit();
    try {
      await hub.stopServer(name);
      this._servers = this._servers.filter(s => s.name !== name);
    } catch (reason) {
      const error = this._asHubError(reason);
      this._noteProblem(error);
      throw error;
    } finally {
      this._stopping.delete(name);
      this._stateChanged.emit();
      void this.refresh();
    }
  }

  /** Forget a failed start (or a ready one whose tab was opened by hand). */
  dismiss(key: string): void {
    if (this._starts.delete(key)) {
      this._stateChanged.emit();
    }
  }

  /** Open a server's JupyterLab in a new tab. */
  open(url: string): void {
    this._open(url);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._schedule.dispose();
    this._model.stateChanged.disconnect(this._onModelChanged, this);
    Signal.clearData(this);
  }

  private async _refresh(hub: HubClient): Promise<void> {
    try {
      if (!this._scopesChecked) {
        this._scopesChecked = true;
        const scopes = await hub.tokenScopes().catch(() => null);
        const missing = scopes ? missingServerScopes(scopes) : [];
        if (missing.length > 0) {
          this._problem = {
            kind: 'missing_scope',
            message: missingScopesMessage(missing, this._trans),
            diagnosis: scopesDiagnosis(this._trans),
            scopes: missing
          };
        }
      }
      if (this._problem?.scopes.includes(SERVER_SCOPES.read)) {
        // The hub would leave the servers out of its answer.
        this._servers = [];
      } else {
        this._servers = await hub.listServers();
      }
      this._failures = 0;
    } catch (reason) {
      this._failures++;
      if (isHubError(reason)) {
        this._noteProblem(reason);
      }
    }
    if (!this._isDisposed) {
      this._stateChanged.emit();
    }
  }

  /** Builds awaited by "Build and start": done once built, given up when failed. */
  private _onModelChanged(): void {
    for (const [id, waiting] of [...this._afterBuild]) {
      const build = this._model.builds.find(b => b.id === id);
      if (!build || !isFinal(build.phase)) {
        continue;
      }
      this._afterBuild.delete(id);
      this._starts.delete(id);
      if (build.phase === 'built') {
        this._stateChanged.emit();
        waiting.resolve(this._built(build, waiting.label));
      } else {
        this._setStart({
          key: id,
          name: '',
          label: waiting.label,
          image: build.image,
          status: 'failed',
          progress: null,
          message: this._trans.__(
            'The build of %1 did not succeed, so no server was started.',
            waiting.label
          ),
          diagnosis: this._trans.__('Its log says why.'),
          url: null
        });
        waiting.resolve(null);
      }
    }
  }

  /** A build's image and label: the listed image's (as on its Start server button) when listed. */
  private _built(
    build: Build,
    fallback: string
  ): { image: string; label: string } {
    const name = this._imageOfBuild(build);
    const image = this._model.knownImages.find(i => i.name === name);
    return { image: name, label: image ? imageLabel(image) : fallback };
  }

  /** The listed image a build made (its name as the service lists it), else the build's own. */
  private _imageOfBuild(build: Build): string {
    const images = this._model.knownImages;
    return (
      images.find(i => i.name === build.image)?.name ??
      images.find(i => i.buildId === build.id)?.name ??
      build.image
    );
  }

  /** A refusal that no retry fixes becomes the panel's notice. */
  private _noteProblem(error: HubError): void {
    if (error.kind === 'named_servers_off') {
      this._problem = {
        kind: 'named_servers_off',
        message: error.message,
        diagnosis: namedServersDiagnosis(this._trans),
        scopes: []
      };
    } else if (error.kind === 'missing_scope') {
      const scopes = new Set(this._problem?.scopes ?? []);
      if (error.scope) {
        scopes.add(error.scope.split('!')[0]);
      }
      this._problem = {
        kind: 'missing_scope',
        message: missingScopesMessage([...scopes], this._trans),
        diagnosis: scopesDiagnosis(this._trans),
        scopes: [...scopes]
      };
    }
  }

  private _asHubError(reason: unknown): HubError {
    if (isHubError(reason)) {
      return reason;
    }
    const words = hubErrorWords('unexpected', {
      trans: this._trans,
      said: reason instanceof Error ? reason.message : String(reason)
    });
    return new HubError({ kind: 'unexpected', ...words });
  }

  private _setStart(start: IServerStart): void {
    this._starts.set(start.key, start);
    this._stateChanged.emit();
  }

  private _model: EnvironmentsModel;
  private _hub: HubClient | null;
  private _trans: TranslationBundle;
  private _open: (url: string) => Window | null;
  private _openPending: (message: string) => IPendingTab | null;
  private _random: () => number;
  private _schedule: RefreshSchedule;
  private _servers: IHubServer[] = [];
  private _starts = new Map<string, IServerStart>();
  /** Servers started from this panel, with their labels (listed even if the image is not). */
  private _startedHere = new Map<string, string>();
  private _afterBuild = new Map<
    string,
    {
      label: string;
      resolve: (built: { image: string; label: string } | null) => void;
    }
  >();
  private _stopping = new Set<string>();
  private _problem: IHubProblem | null = null;
  private _scopesChecked = false;
  private _refreshing: Promise<void> | null = null;
  private _next: Promise<void> | null = null;
  private _failures = 0;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

export namespace ServerLauncher {
  export interface IOptions {
    model: EnvironmentsModel;
    /** The hub's API; `null` without a hub (laptop mode). */
    hub: HubClient | null;
    translator?: ITranslator;
    /** The panel's bundle, used instead of `translator` when given. */
    trans?: TranslationBundle;
    /** Opens a URL in a new tab (default `window.open(url, '_blank')`). */
    open?: (url: string) => Window | null;
    /**
     * Opens a tab at once, showing `message`, to take the server's URL when it is ready (default
     * `openPendingTab`; none when `open` is given without it).
     */
    openPending?: (message: string) => IPendingTab | null;
    /** Seconds between refreshes while a server starts or stops (default: the model's). */
    refreshInterval?: number;
    /** Random numbers in [0, 1) for name suffixes (tests pass their own). */
    random?: () => number;
  }
}
