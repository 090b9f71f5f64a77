/**
 * The client of JupyterHub's REST API for the user's named servers: the one place the extension
 * talks to the hub. It uses the token JupyterLab received from the hub (page config), which
 * carries the scopes of `c.Spawner.oauth_client_allowed_scopes`; JupyterHub 6 needs
 * `start:servers`, `read:servers` and `delete:servers` (each with `!user`) for what is here.
 */

import { PageConfig } from '@jupyterlab/coreutils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import type { IPageConfig } from '../client';
import { hubErrorWords, type HubErrorKind } from './hubWords';
import { readSpawnProgress, type ISpawnEvent } from './spawnProgress';

/** The hub scopes the panel needs, by what they allow. */
export const SERVER_SCOPES = {
  start: 'start:servers',
  read: 'read:servers',
  stop: 'delete:servers'
} as const;

export type ServerScope = (typeof SERVER_SCOPES)[keyof typeof SERVER_SCOPES];

/** One of the user's servers, as the hub's user model lists it. */
export interface IHubServer {
  name: string;
  /** `user_options.image`: the image it was started in, when it was started with one. */
  image: string | null;
  /** Its URL as the hub gives it: a path (`/user/alice/analysis/`), absolute with subdomains. */
  url: string;
  ready: boolean;
  /** `spawn`, `stop`, … while something happens to it. */
  pending: string | null;
  started: string | null;
}

export interface IHubErrorOptions {
  kind: HubErrorKind;
  message: string;
  diagnosis?: string | null;
  status?: number | null;
  /** The hub scope that would have allowed the request (403). */
  scope?: string | null;
  /** The hub's own message. */
  said?: string;
}

/** A failed call to the hub. */
export class HubError extends Error {
  constructor(options: IHubErrorOptions) {
    super(options.message);
    this.name = 'HubError';
    this.kind = options.kind;
    this.diagnosis = options.diagnosis ?? null;
    this.status = options.status ?? null;
    this.scope = options.scope ?? null;
    this.said = options.said ?? '';
  }

  readonly kind: HubErrorKind;
  readonly diagnosis: string | null;
  readonly status: number | null;
  readonly scope: string | null;
  readonly said: string;
}

export function isHubError(value: unknown): value is HubError {
  return value instanceof HubError;
}

/**
 * Whether `scopes` (a token's expanded scopes, as `GET api/user` lists them) hold `scope` in any
 * form: unfiltered, or with a filter (`!user=alice`, `!group=…`). A filter the panel cannot
 * check counts as held: the hub's answer decides, and the panel never claims a scope is missing
 * when it may not be.
 */
export function holdsScope(scopes: readonly string[], scope: string): boolean {
  return scopes.some(s => s === scope || s.startsWith(`${scope}!`));
}

/** The server scopes the token lacks, in the order start, read, delete. */
export function missingServerScopes(scopes: readonly string[]): ServerScope[] {
  return Object.values(SERVER_SCOPES).filter(
    scope => !holdsScope(scopes, scope)
  );
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The scope a 403 names: `…; requires any of [start:servers]`. */
export function scopeFromMessage(message: string): string | null {
  const match = /requires any of \[([^\]]+)\]/.exec(message);
  if (!match) {
    return null;
  }
  const first = match[1].split(',')[0].trim();
  return first || null;
}

/** The hub's REST API for the user of this JupyterLab. */
export class HubClient {
  constructor(options: HubClient.IOptions) {
    this._pageConfig = options.pageConfig ?? PageConfig;
    this._fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this._trans =
      options.trans ??
      (options.translator ?? nullTranslator).load('jupyterlab_repo2docker');
    this.user = options.user;
    const prefix = this._pageConfig.getOption('hubPrefix') || '/hub/';
    this.hubHost = (this._pageConfig.getOption('hubHost') || '').replace(
      /\/+$/,
      ''
    );
    this.hubPrefix = withTrailingSlash(
      prefix.startsWith('/') ? prefix : `/${prefix}`
    );
  }

  /**
   * The client for this page when JupyterLab runs under JupyterHub (the page config names the
   * hub's prefix and user), else `null` (a laptop's plain `jupyter lab`).
   */
  static fromPageConfig(
    options: Omit<HubClient.IOptions, 'user'> = {}
  ): HubClient | null {
    const pageConfig = options.pageConfig ?? PageConfig;
    const user = pageConfig.getOption('hubUser');
    if (!user || !pageConfig.getOption('hubPrefix')) {
      return null;
    }
    return new HubClient({ ...options, user });
  }

  /** The hub user whose servers these are. */
  readonly user: string;
  /** `''`, or the hub's origin with `subdomain_host`. */
  readonly hubHost: string;
  /** The hub's prefix, `/hub/` or `/base/hub/`. */
  readonly hubPrefix: string;

  /** The hub's base URL (`/`, `/base/`), absolute when the hub has its own host. */
  get baseUrl(): string {
    return `${this.hubHost}${this.hubPrefix.replace(/hub\/$/, '')}`;
  }

  /** URL of an API path (`users/alice`). */
  apiUrl(path: string): string {
    return `${this.hubHost}${this.hubPrefix}api/${path}`;
  }

  /** Path of a named server of the user in the API. */
  serverPath(name: string): string {
    return `users/${encodeURIComponent(this.user)}/servers/${encodeURIComponent(name)}`;
  }

  /**
   * The address of the server's JupyterLab: the hub's URL of the server (a path on the hub's
   * host, or absolute with subdomains) followed by `lab`.
   */
  labUrl(serverUrl: string): string {
    const base = withTrailingSlash(serverUrl);
    const origin =
      this.hubHost ||
      (typeof window !== 'undefined' ? window.location.origin : '');
    try {
      return new URL(`${base}lab`, origin || undefined).href;
    } catch {
      return `${origin}${base}lab`;
    }
  }

  /** The scopes of the page's token (`GET api/user`); `null` when the hub does not list them. */
  async tokenScopes(): Promise<string[] | null> {
    const model = await this._json<{ scopes?: unknown }>('user', {}, null);
    return Array.isArray(model?.scopes)
      ? model.scopes.filter((s): s is string => typeof s === 'string')
      : null;
  }

  /**
   * The user's active servers (`GET api/users/{user}`). Rejects with a `missing_scope`
   * `HubError` when the answer has no `servers`: the hub leaves them out for a token without
   * `read:servers`.
   */
  async listServers(): Promise<IHubServer[]> {
    const model = await this._json<{ servers?: unknown }>(
      `users/${encodeURIComponent(this.user)}`,
      {},
      SERVER_SCOPES.read
    );
    if (!model || typeof model.servers !== 'object' || !model.servers) {
      throw this._error(403, '', SERVER_SCOPES.read);
    }
    return Object.entries(model.servers as Record<string, unknown>).map(
      ([name, value]) => toServer(name, value)
    );
  }

  /**
   * Start the named server `name` in `image` (`POST api/users/{user}/servers/{name}` with the
   * image in `user_options`, as the spawner's `allowed_images` reads it). Resolves once the hub
   * took it (201 started, 202 starting).
   */
  async startServer(name: string, image: string): Promise<void> {
    await this._json<unknown>(
      this.serverPath(name),
      {
        method: 'POST',
        body: JSON.stringify({ user_options: { image } })
      },
      SERVER_SCOPES.start
    );
  }

  /**
   * Follow the start of `name` to its end: resolves with the `ready` event (its `url` is the
   * server's), rejects with a `HubError` for a `failed` one or a refused request.
   */
  async followProgress(
    name: string,
    onEvent: (event: ISpawnEvent) => void,
    signal?: AbortSignal
  ): Promise<ISpawnEvent> {
    const response = await this._send(`${this.serverPath(name)}/progress`, {
      method: 'GET',
      headers: { Accept: 'text/event-stream' },
      signal
    });
    if (!response.ok) {
      throw await this._errorFrom(response, SERVER_SCOPES.read);
    }
    if (!response.body) {
      throw new HubError({
        kind: 'unexpected',
        message: this._trans.__(
          'The hub did not send the progress of the start.'
        )
      });
    }
    let final: ISpawnEvent;
    try {
      final = await readSpawnProgress(response.body, onEvent, signal);
    } catch (reason) {
      if (signal?.aborted) {
        throw reason;
      }
      throw new HubError({
        kind: 'unreachable',
        ...hubErrorWords('stream_ended', { trans: this._trans })
      });
    }
    if (final.failed) {
      throw new HubError({
        kind: 'spawn_failed',
        ...hubErrorWords('spawn_failed', {
          trans: this._trans,
          said: final.message
        }),
        said: final.message
      });
    }
    return final;
  }

  /**
   * Stop the named server and remove it (`DELETE` with `{"remove": true}`), so that it leaves
   * the user's list and its name is free again. Resolves once the hub took it (202 stopping).
   */
  async stopServer(name: string): Promise<void> {
    await this._json<unknown>(
      this.serverPath(name),
      { method: 'DELETE', body: JSON.stringify({ remove: true }) },
      SERVER_SCOPES.stop
    );
  }

  /** Send a request with the page's token; a failure to get any answer becomes a `HubError`. */
  private async _send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `token ${this._pageConfig.getToken()}`);
    try {
      return await this._fetch(this.apiUrl(path), {
        cache: 'no-store',
        ...init,
        headers
      });
    } catch (reason) {
      if (init.signal?.aborted) {
        throw reason;
      }
      throw new HubError({
        kind: 'unreachable',
        ...hubErrorWords('unreachable', {
          trans: this._trans,
          hubUrl: this.apiUrl('')
        })
      });
    }
  }

  /** A JSON request; a refused one becomes a `HubError` (`scope`: what the request needs). */
  private async _json<T>(
    path: string,
    init: RequestInit,
    scope: string | null
  ): Promise<T | undefined> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'application/json');
    if (init.body !== undefined) {
      headers.set('Content-Type', 'application/json');
    }
    const response = await this._send(path, { ...init, headers });
    if (!response.ok) {
      throw await this._errorFrom(response, scope);
    }
    const text = await response.text();
    if (!text || !/json/.test(response.headers.get('Content-Type') ?? '')) {
      // 201/202/204 of start and stop answer plain text or nothing.
      return undefined;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  private async _errorFrom(
    response: Response,
    scope: string | null
  ): Promise<HubError> {
    let said = '';
    try {
      const text = await response.text();
      try {
        const body = JSON.parse(text) as { message?: unknown };
        said = typeof body.message === 'string' ? body.message : '';
      } catch {
        said = '';
      }
    } catch {
      said = '';
    }
    return this._error(response.status, said, scope);
  }

  private _error(status: number, said: string, scope: string | null): HubError {
    let kind: HubErrorKind;
    let named: string | null = null;
    if (status === 403) {
      // The scope the operation needs names the fix better than the hub's first alternative
      // (listing servers is refused "requires any of [read:users, …]").
      named = scope ?? scopeFromMessage(said);
      kind = named ? 'missing_scope' : 'forbidden';
    } else if (status === 400 && /named servers are not enabled/i.test(said)) {
      kind = 'named_servers_off';
    } else if (status === 400 || status === 409) {
      kind = 'refused';
    } else if (status === 401) {
      kind = 'unauthorized';
    } else if (status === 404) {
      kind = 'not_found';
    } else if (status >= 500) {
      kind = 'server';
    } else {
      kind = 'unexpected';
    }
    return new HubError({
      kind,
      status,
      scope: named,
      said,
      ...hubErrorWords(kind, { trans: this._trans, said, scope: named, status })
    });
  }

  private _pageConfig: IPageConfig;
  private _fetch: (input: string, init: RequestInit) => Promise<Response>;
  private _trans: TranslationBundle;
}

export namespace HubClient {
  export interface IOptions {
    /** The hub user (the page config's `hubUser`). */
    user: string;
    /** Replaceable in tests; `PageConfig` by default. */
    pageConfig?: IPageConfig;
    fetch?: (input: string, init: RequestInit) => Promise<Response>;
    translator?: ITranslator;
    /** The panel's bundle, used instead of `translator` when given. */
    trans?: TranslationBundle;
  }
}

function toServer(name: string, value: unknown): IHubServer {
  const model = (value && typeof value === 'object' ? value : {}) as Record<
    string,
    unknown
  >;
  const options = (
    model.user_options && typeof model.user_options === 'object'
      ? model.user_options
      : {}
  ) as Record<string, unknown>;
  return {
    name: typeof model.name === 'string' ? model.name : name,
    image: typeof options.image === 'string' ? options.image : null,
    url: typeof model.url === 'string' ? model.url : '',
    ready: model.ready === true,
    pending: typeof model.pending === 'string' ? model.pending : null,
    started: typeof model.started === 'string' ? model.started : null
  };
}
