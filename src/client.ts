/**
 * The client of the repo2docker service: the one place that talks to it.
 */

import type {
  Build,
  BuildList,
  BuildRequest,
  Image,
  ImageList,
  Info,
  PagedImageList,
  SharingRequest
} from '@jupyterlab-repo2docker/service/contract';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import {
  DEFAULT_SERVICE_NAME,
  errorFromNetworkFailure,
  errorFromResponse,
  ServiceError
} from './errors';
import type {
  IImageFilter,
  IImagePageQuery,
  IRepo2DockerClient,
  IServiceLocation
} from './tokens';

/** The part of `PageConfig` the client reads (replaceable in tests). */
export interface IPageConfig {
  getOption(name: string): string;
  getBaseUrl(): string;
  getToken(): string;
}

/** Path of the service under jupyter-server-proxy, relative to the Jupyter server's base URL. */
export function proxyPath(serviceName: string = DEFAULT_SERVICE_NAME): string {
  return `${serviceName}/`;
}

/** The page config option a server may set to name the service (`c.JupyterHub.services`). */
export const SERVICE_NAME_PAGE_OPTION = 'repo2dockerServiceName';

/**
 * The service's name: the `serviceName` setting when the user set one, else the page config's
 * `repo2dockerServiceName` when the server sets it, else `repo2docker`.
 */
export function resolveServiceName(
  userSetting: string | null | undefined,
  pageConfig: IPageConfig = PageConfig
): string {
  const chosen =
    (userSetting ?? '').trim() ||
    pageConfig.getOption(SERVICE_NAME_PAGE_OPTION).trim();
  return chosen || DEFAULT_SERVICE_NAME;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Where the service of a JupyterHub is, from the page config's `hubPrefix` (`/hub/`,
 * `/base/hub/`) and `hubHost` (`''` unless the hub uses `subdomain_host`).
 *
 * Services live at `<base_url>services/<name>/`. With `subdomain_host` each service has its own
 * host, `<name>--service.<domain>` under JupyterHub's default (`idna`) subdomain hook; hubs
 * that use another hook set the `serviceUrl` setting.
 */
export function hubServiceUrl(
  hubPrefix: string,
  hubHost: string,
  serviceName: string = DEFAULT_SERVICE_NAME
): string {
  const prefix = withTrailingSlash(
    hubPrefix.startsWith('/') ? hubPrefix : `/${hubPrefix}`
  );
  const baseUrl = prefix.replace(/hub\/$/, '');
  const path = `${baseUrl}services/${encodeURIComponent(serviceName)}/`;
  if (!hubHost) {
    return path;
  }
  try {
    const host = new URL(hubHost);
    return `${host.protocol}//${serviceName}--service.${host.host}${path}`;
  } catch {
    return `${hubHost.replace(/\/+$/, '')}${path}`;
  }
}

/**
 * Resolve where the service is and how to reach it.
 *
 * 1. The `serviceUrl` setting, when not empty, overrides everything (resolved against the Jupyter
 *    server's base URL when relative). Under JupyterHub it is called with the hub token; otherwise
 *    through the Jupyter server's connection when it lies under the server's base URL, else with
 *    plain `fetch` and no credentials (never sending the server's token elsewhere).
 * 2. Under JupyterHub (`hubPrefix` in the page config): the hub's service, with the hub token.
 * 3. Otherwise: behind jupyter-server-proxy at `<base_url><service name>/`.
 *
 * The service name (`repo2docker` unless configured) names the hub service and the proxy path.
 */
export function resolveServiceLocation(
  options: {
    serviceUrl?: string | null;
    serviceName?: string;
    pageConfig?: IPageConfig;
  } = {}
): IServiceLocation {
  const pageConfig = options.pageConfig ?? PageConfig;
  const serviceName = options.serviceName || DEFAULT_SERVICE_NAME;
  const hubPrefix = pageConfig.getOption('hubPrefix');
  const override = (options.serviceUrl ?? '').trim();
  const serverBase = pageConfig.getBaseUrl();

  if (override) {
    let baseUrl = withTrailingSlash(override);
    try {
      baseUrl = new URL(baseUrl, serverBase).href;
    } catch {
      // Not resolvable: keep it as given; fetch will report it.
    }
    if (hubPrefix) {
      return { baseUrl, transport: 'hub' };
    }
    return {
      baseUrl,
      transport: baseUrl.startsWith(serverBase) ? 'server' : 'fetch'
    };
  }
  if (hubPrefix) {
    return {
      baseUrl: hubServiceUrl(
        hubPrefix,
        pageConfig.getOption('hubHost'),
        serviceName
      ),
      transport: 'hub'
    };
  }
  return {
    baseUrl: URLExt.join(serverBase, proxyPath(serviceName)),
    transport: 'server'
  };
}

/**
 * Server settings whose `fetch` drops the `Content-Type` header that `ServerConnection` adds to
 * every request, for requests that carry no body.
 */
export function withoutBodyContentType(
  settings: ServerConnection.ISettings
): ServerConnection.ISettings {
  const inner = settings.fetch;
  const fetchWithout = (
    input: RequestInfo,
    init?: RequestInit
  ): Promise<Response> => {
    if (typeof Request !== 'undefined' && input instanceof Request) {
      input.headers.delete('Content-Type');
    }
    if (init?.headers) {
      const headers = new Headers(init.headers);
      headers.delete('Content-Type');
      init = { ...init, headers };
    }
    return inner.call(null, input, init);
  };
  return { ...settings, fetch: fetchWithout as typeof fetch };
}

/** How many answers (pages of the image list) the ETag cache keeps, the ones used last. */
const MAX_CACHED_ANSWERS = 16;

/** The client of the repo2docker service. */
export class Repo2DockerClient implements IRepo2DockerClient {
  constructor(options: Repo2DockerClient.IOptions = {}) {
    this._pageConfig = options.pageConfig ?? PageConfig;
    this._fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this._serverSettings = options.serverSettings;
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_repo2docker'
    );
    this._serviceUrl = options.serviceUrl ?? null;
    this._serviceName = resolveServiceName(
      options.serviceName,
      this._pageConfig
    );
    this._location = this._resolve();
  }

  get location(): IServiceLocation {
    return this._location;
  }

  get locationChanged(): ISignal<this, IServiceLocation> {
    return this._locationChanged;
  }

  get logStreamOpened(): ISignal<this, string> {
    return this._logStreamOpened;
  }

  /** The `serviceUrl` setting (empty or `null`: resolve from the page config). */
  get serviceUrl(): string | null {
    return this._serviceUrl;
  }
  set serviceUrl(value: string | null) {
    if (value === this._serviceUrl) {
      return;
    }
    this._serviceUrl = value;
    this._relocate();
  }

  /** The service's name in JupyterHub and under jupyter-server-proxy (`repo2docker` by default). */
  get serviceName(): string {
    return this._serviceName;
  }
  /** Set from the `serviceName` setting: empty or `null` falls back to the page config, then the default. */
  set serviceName(value: string | null) {
    const name = resolveServiceName(value, this._pageConfig);
    if (name === this._serviceName) {
      return;
    }
    this._serviceName = name;
    this._relocate();
  }

  private _resolve(): IServiceLocation {
    return resolveServiceLocation({
      serviceUrl: this._serviceUrl,
      serviceName: this._serviceName,
      pageConfig: this._pageConfig
    });
  }

  /** Resolve the location again, and tell when it moved. */
  private _relocate(): void {
    const location = this._resolve();
    if (
      location.baseUrl !== this._location.baseUrl ||
      location.transport !== this._location.transport
    ) {
      this._location = location;
      this._locationChanged.emit(location);
    }
  }

  /** The service URL as shown to users (absolute). */
  get displayUrl(): string {
    try {
      return new URL(this._location.baseUrl, window.location.href).href;
    } catch {
      return this._location.baseUrl;
    }
  }

  getInfo(): Promise<Info> {
    return this._json<Info>('api/info');
  }

  startBuild(request: BuildRequest): Promise<Build> {
    return this._json<Build>('api/builds', {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  async listBuilds(): Promise<Build[]> {
    return (await this._json<BuildList>('api/builds')).builds;
  }

  getBuild(buildId: string): Promise<Build> {
    return this._json<Build>(`api/builds/${encodeURIComponent(buildId)}`);
  }

  cancelBuild(buildId: string): Promise<Build> {
    return this._json<Build>(`api/builds/${encodeURIComponent(buildId)}`, {
      method: 'DELETE'
    });
  }

  async listImages(filter: IImageFilter = {}): Promise<Image[]> {
    const query = Object.entries(filter)
      .filter(([, value]) => typeof value === 'string' && value !== '')
      .map(
        ([key, value]) =>
          `${encodeURIComponent(key)}=${encodeURIComponent(value)}`
      )
      .join('&');
    const path = query ? `api/images?${query}` : 'api/images';
    return (await this._jsonCached<ImageList>(path)).images;
  }

  /** One page of the image list: what the panel shows, not the whole list (issue 17). */
  listImagePage(query: IImagePageQuery): Promise<PagedImageList | ImageList> {
    const params: string[] = [];
    const add = (key: string, value: string | number | undefined) => {
      if (value !== undefined && value !== '') {
        params.push(`${key}=${encodeURIComponent(String(value))}`);
      }
    };
    add('limit', query.limit);
    add('offset', query.offset);
    add('q', query.q?.trim());
    add('owner', query.owner);
    if (query.limit === undefined && query.offset === undefined) {
      // Some page key must be there for the service to answer `total`; `offset=0` is the list.
      add('offset', 0);
    }
    return this._jsonCached<PagedImageList | ImageList>(
      `api/images?${params.join('&')}`
    );
  }

  async deleteImage(name: string): Promise<void> {
    await this._json<unknown>(`api/images/${encodeURIComponent(name)}`, {
      method: 'DELETE'
    });
  }

  /** `PUT api/images/{name}/sharing`: who besides its owner may see and start it (issue 14). */
  setImageSharing(name: string, sharing: SharingRequest): Promise<Image> {
    return this._json<Image>(`api/images/${encodeURIComponent(name)}/sharing`, {
      method: 'PUT',
      body: JSON.stringify(sharing)
    });
  }

  async openLogStream(
    buildId: string,
    lastEventId: number | null,
    signal: AbortSignal
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId !== null) {
      headers['Last-Event-ID'] = String(lastEventId);
    }
    this._logStreamOpened.emit(buildId);
    try {
      return await this._send(
        `api/builds/${encodeURIComponent(buildId)}/logs`,
        {
          method: 'GET',
          headers,
          signal
        }
      );
    } catch (reason) {
      if (signal.aborted) {
        // Report an abort as one, not as the network error the server connection makes of it.
        throw (
          signal.reason ??
          new DOMException('The stream was aborted.', 'AbortError')
        );
      }
      throw reason;
    }
  }

  /**
   * Send a request to `path` (relative to the service's base URL) by the location's transport.
   * Rejects with the transport's own error when no response arrives.
   */
  private _send(path: string, init: RequestInit): Promise<Response> {
    const { baseUrl, transport } = this._location;
    const url = baseUrl + path;
    switch (transport) {
      case 'server': {
        const base = this._serverSettings ?? ServerConnection.makeSettings();
        // The server connection gives every request without a content type a JSON one, body or
        // not; a DELETE with a JSON content type and no body is malformed to the service (and
        // to Fastify in general). A request without a body goes out without a content type.
        const settings =
          init.body === undefined || init.body === null
            ? withoutBodyContentType(base)
            : base;
        // `no-cache` instead of the default `no-store`, which would append a cache-busting
        // query parameter that the service does not expect.
        return ServerConnection.makeRequest(
          url,
          { cache: 'no-cache', ...init },
          settings
        );
      }
      case 'hub': {
        const headers = new Headers(init.headers);
        headers.set('Authorization', `token ${this._pageConfig.getToken()}`);
        return this._fetch(url, { cache: 'no-store', ...init, headers });
      }
      case 'fetch':
      default:
        return this._fetch(url, {
          cache: 'no-store',
          credentials: 'omit',
          ...init
        });
    }
  }

  /**
   * `_json` for a GET whose answer carries an ETag (the image list: ~0.9 MB at 2,000 images, and
   * the panel asks again every few seconds): asks with `If-None-Match` and, on `304 Not
   * Modified`, answers the copy it kept. One copy per URL, the last one only, for the
   * `MAX_CACHED_ANSWERS` URLs used last (each filter text the user typed is a page URL).
   */
  private async _jsonCached<T>(path: string): Promise<T> {
    const key = this._location.baseUrl + path;
    const kept = this._etagCache.get(key);
    if (kept) {
      this._etagCache.delete(key);
      this._etagCache.set(key, kept);
    }
    const headers: Record<string, string> = {};
    if (kept) {
      headers['If-None-Match'] = kept.etag;
    }
    let etag: string | null = null;
    let notModified = false;
    const value = await this._json<T>(path, {
      headers,
      onResponse: response => {
        notModified = response.status === 304 && kept !== undefined;
        etag = response.headers.get('ETag');
        return notModified;
      }
    });
    if (notModified && kept) {
      return kept.value as T;
    }
    this._etagCache.delete(key);
    if (etag) {
      // Most recently used last: a panel whose filter text changed leaves pages behind.
      this._etagCache.set(key, { etag, value });
      while (this._etagCache.size > MAX_CACHED_ANSWERS) {
        this._etagCache.delete(this._etagCache.keys().next().value as string);
      }
    }
    return value;
  }

  /** Send a JSON request and parse the JSON answer; any failure becomes a `ServiceError`. */
  private async _json<T>(
    path: string,
    init: RequestInit & {
      /** Sees the response first; `true` means "handled": `_json` answers `undefined`. */
      onResponse?: (response: Response) => boolean;
    } = {}
  ): Promise<T> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'application/json');
    if (init.body !== undefined) {
      headers.set('Content-Type', 'application/json');
    }
    let response: Response;
    const { onResponse, ...request } = init;
    try {
      response = await this._send(path, { ...request, headers });
    } catch (reason) {
      throw errorFromNetworkFailure(reason, this.displayUrl, this._trans);
    }
    if (onResponse?.(response)) {
      return undefined as T;
    }
    if (!response.ok) {
      throw await errorFromResponse(
        response,
        this.displayUrl,
        this._trans,
        this._serviceName
      );
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const text = await response.text();
    if (!text) {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch (reason) {
      throw new ServiceError({
        kind: 'unexpected',
        status: response.status,
        message: this._trans.__(
          'The repo2docker service sent an answer that is not JSON (HTTP %1).',
          response.status
        ),
        serviceUrl: this.displayUrl,
        cause: reason
      });
    }
  }

  private _pageConfig: IPageConfig;
  /** The last answer of each `_jsonCached` URL, with its ETag. */
  private _etagCache = new Map<string, { etag: string; value: unknown }>();
  private _fetch: (input: string, init: RequestInit) => Promise<Response>;
  private _serverSettings: ServerConnection.ISettings | undefined;
  private _trans: TranslationBundle;
  private _serviceUrl: string | null;
  private _serviceName: string;
  private _location: IServiceLocation;
  private _locationChanged = new Signal<this, IServiceLocation>(this);
  private _logStreamOpened = new Signal<this, string>(this);
}

export namespace Repo2DockerClient {
  export interface IOptions {
    /** The `serviceUrl` setting; empty or `null` to resolve from the page config. */
    serviceUrl?: string | null;
    /** The `serviceName` setting as the user set it; empty or `null`: page config, then `repo2docker`. */
    serviceName?: string | null;
    translator?: ITranslator;
    /** Defaults to JupyterLab's `PageConfig`. */
    pageConfig?: IPageConfig;
    /** Used for the `hub` and `fetch` transports; defaults to the global `fetch`. */
    fetch?: (input: string, init: RequestInit) => Promise<Response>;
    /** Used for the `server` transport; defaults to `ServerConnection.makeSettings()`. */
    serverSettings?: ServerConnection.ISettings;
  }
}
