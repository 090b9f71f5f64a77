/**
 * An OCI registry as an image store: the images this service pushed, read back through the
 * distribution API (catalog, tags list, manifest, config blob) and told apart by the labels in
 * their config, as local images are. Authentication: none, Basic, or the Bearer token dance
 * (`WWW-Authenticate: Bearer realm=…,service=…,scope=…` → token endpoint → retry), answered as
 * the registry asks. Credentials go only to the registry and to its token endpoint.
 */
import { createHash } from 'node:crypto';
import type { ErrorCode, Image } from '../api/contract.js';
import {
  StoreDeleteUnsupported,
  StoreError,
  type RemoteImageStore
} from '../images/store.js';
import {
  expectedTag,
  fromLabels,
  toImage,
  type ImageLabels
} from '../images/labels.js';
import { namespaceFor, renderRepository } from '../images/naming.js';
import { redactCredentials, type RegistryCredentials } from './credentials.js';
import {
  configWithLabels,
  isDigest,
  labelsOfConfig,
  manifestWithConfig,
  MANIFEST_ACCEPT,
  nextPageUrl,
  parseManifest,
  parseWwwAuthenticate,
  registryErrors,
  type Challenge
} from './distribution.js';

export interface RegistryOptions {
  /** `scheme://host[:port]`, as checked by the configuration. */
  url: string;
  /** Path before every repository, `""` or ending in `/`. */
  prefix: string;
  /** `images.template`, to recognise our repositories in the catalog. */
  template: string;
  credentials: RegistryCredentials | null;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
  /** Manifests and configs fetched at once while listing. Default 8. */
  concurrency?: number;
  fetch?: typeof fetch;
}

/** The registry could not be asked (unreachable, refused the credentials, answered nonsense). */
export class RegistryError extends StoreError {
  constructor(
    message: string,
    status = 502,
    code: ErrorCode = 'registry_error'
  ) {
    super(message, status, code);
    this.name = 'RegistryError';
  }
}

/** The registry does not allow deleting manifests (`storage.delete.enabled: false` and the like). */
export class RegistryDeleteUnsupported extends StoreDeleteUnsupported {
  constructor(host: string, reference: string) {
    super(
      `the registry ${host} does not allow deleting images, so ${reference} is still there; ` +
        'its admin can enable deletes (storage.delete.enabled in docker-registry) or remove it by hand',
      409,
      'registry_delete_unsupported'
    );
    this.name = 'RegistryDeleteUnsupported';
  }
}

const COMMIT_TAG = /^[0-9a-f]{7,64}$/;
const CONFIG_CACHE_MAX = 2000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern for the repositories the template can give (after the prefix). */
export function repositoryPattern(prefix: string, template: string): RegExp {
  const parts = template.split(/(\{owner\}|\{name\})/);
  const body = parts
    .map(part =>
      part === '{owner}'
        ? '-?[a-z0-9-]+'
        : part === '{name}'
          ? '[a-z0-9._-]+'
          : escapeRegExp(part)
    )
    .join('');
  return new RegExp(`^${escapeRegExp(prefix)}${body}$`);
}

/** Split `host/path:tag` into host, repository path and tag; `null` if it is not on `host`. */
export function splitReference(
  reference: string,
  host: string
): { path: string; tag: string } | null {
  if (!reference.startsWith(`${host}/`)) {
    return null;
  }
  const rest = reference.slice(host.length + 1);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || rest.indexOf('/', colon) !== -1 || rest.includes('@')) {
    return null;
  }
  return { path: rest.slice(0, colon), tag: rest.slice(colon + 1) };
}

async function pool<T, R>(
  items: T[],
  size: number,
  work: (item: T) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, worker)
  );
  return results;
}

/** Why a request got no answer, in words (fetch's errors carry the cause's code). */
export function networkReason(error: unknown, timeoutMs: number): string {
  const name = (error as Error)?.name;
  if (name === 'TimeoutError') {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } })
    ?.cause;
  const code = cause?.code ?? '';
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    UND_ERR_SOCKET: 'connection closed',
    UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'timed out',
    CERT_HAS_EXPIRED: 'its TLS certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate cannot be verified'
  };
  return words[code] ?? (code || cause?.message || name || 'network error');
}

interface CachedToken {
  value: string;
  expires: number;
}

export class RegistryStore implements RemoteImageStore {
  readonly url: string;
  /** `host[:port]`, as image names begin with it. */
  readonly host: string;
  readonly prefix: string;
  private readonly credentials: RegistryCredentials | null;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly fetchImpl: typeof fetch;
  private readonly ours: RegExp;
  private readonly template: string;
  /** The registry asked for Basic once: send it up front from then on. */
  private basic = false;
  private readonly tokens = new Map<string, CachedToken>();
  /** Config blobs are immutable: their labels, by digest. */
  private readonly configs = new Map<string, ImageLabels | null>();

  constructor(options: RegistryOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.host = new URL(this.url).host;
    this.prefix = options.prefix;
    this.template = options.template;
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.concurrency = options.concurrency ?? 8;
    this.fetchImpl = options.fetch ?? fetch;
    this.ours = repositoryPattern(options.prefix, options.template);
  }

  get hasCredentials(): boolean {
    return this.credentials !== null;
  }

  /** Does the registry answer `GET /v2/` (with our credentials)? `null` if so, else why not. */
  async probe(): Promise<string | null> {
    try {
      const response = await this.request('GET', '/v2/', { scope: null });
      await response.body?.cancel();
      return response.ok ? null : `GET /v2/ answered HTTP ${response.status}`;
    } catch (error) {
      return (error as Error).message;
    }
  }

  async list(): Promise<Image[]> {
    const repositories = (await this.catalog()).filter(path =>
      this.ours.test(path)
    );
    const perRepository = await pool(
      repositories,
      this.concurrency,
      async path => {
        const tags = (await this.tags(path)).filter(tag =>
          COMMIT_TAG.test(tag)
        );
        return tags.map(tag => ({ path, tag }));
      }
    );
    const found = await pool(
      perRepository.flat(),
      this.concurrency,
      ({ path, tag }) =>
        this.image(path, tag).catch(error => {
          // One unreadable tag does not hide the others; an unreachable registry or refused
          // credentials concern them all.
          if (
            error instanceof RegistryError &&
            (error.code === 'registry_unreachable' ||
              error.code === 'registry_unauthorized')
          ) {
            throw error;
          }
          return null;
        })
    );
    return found.filter((image): image is Image => image !== null);
  }

  async find(reference: string): Promise<Image | null> {
    const split = splitReference(reference, this.host);
    if (!split) {
      return null;
    }
    return this.image(split.path, split.tag);
  }

  /** Delete the manifest the tag names (the registry deletes by digest). `false` if there was none. */
  async remove(reference: string): Promise<boolean> {
    const split = splitReference(reference, this.host);
    if (!split) {
      return false;
    }
    const manifest = await this.manifest(split.path, split.tag);
    if (!manifest) {
      return false;
    }
    const response = await this.request(
      'DELETE',
      `/v2/${split.path}/manifests/${manifest.digest}`,
      {
        scope: `repository:${split.path}:delete`
      }
    );
    const text = await response.text();
    if (response.status === 202 || response.status === 200) {
      return true;
    }
    if (response.status === 404) {
      return false;
    }
    const errors = registryErrors(text);
    if (
      response.status === 405 ||
      errors.some(error => error.code === 'UNSUPPORTED')
    ) {
      throw new RegistryDeleteUnsupported(this.host, reference);
    }
    if (
      response.status === 401 ||
      response.status === 403 ||
      errors.some(error => error.code === 'DENIED')
    ) {
      throw new RegistryError(
        `the registry ${this.host} does not let this service delete ${reference} (HTTP ${response.status})`
      );
    }
    throw this.unexpected('DELETE', response.status, text);
  }

  /**
   * Set `labels` on the image a tag names without moving a layer: a new config blob (the old one
   * with the labels set) and a new manifest naming it and the same layers, put under the same
   * tag. `false` when the tag is not here.
   */
  async relabel(
    reference: string,
    labels: Record<string, string>
  ): Promise<boolean> {
    const split = splitReference(reference, this.host);
    if (!split) {
      return false;
    }
    const { path, tag } = split;
    const scope = `repository:${path}:pull,push`;
    const got = await this.request(
      'GET',
      `/v2/${path}/manifests/${encodeURIComponent(tag)}`,
      { scope, accept: MANIFEST_ACCEPT }
    );
    const manifestText = await got.text();
    if (got.status === 404) {
      return false;
    }
    if (!got.ok) {
      throw this.unexpected(
        `GET /v2/${path}/manifests/${tag}`,
        got.status,
        manifestText
      );
    }
    const contentType = got.headers.get('content-type');
    const parsed = parseManifest(contentType, manifestText);
    if (parsed.kind !== 'image') {
      throw new RegistryError(
        `${reference} in the registry ${this.host} is not a single image (${parsed.mediaType})`
      );
    }
    const blob = await this.request(
      'GET',
      `/v2/${path}/blobs/${parsed.configDigest}`,
      {
        scope
      }
    );
    const configBytes = Buffer.from(await blob.arrayBuffer());
    if (!blob.ok) {
      throw this.unexpected(
        `GET /v2/${path}/blobs/${parsed.configDigest}`,
        blob.status,
        configBytes.toString('utf8')
      );
    }
    const config = Buffer.from(
      configWithLabels(configBytes.toString('utf8'), labels),
      'utf8'
    );
    const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    // A monolithic upload: POST opens it, PUT with the digest sends the bytes and closes it.
    const opened = await this.request('POST', `/v2/${path}/blobs/uploads/`, {
      scope
    });
    const openedText = await opened.text();
    const location = opened.headers.get('location');
    if (opened.status !== 202 || !location) {
      throw this.unexpected(
        `POST /v2/${path}/blobs/uploads/`,
        opened.status,
        openedText
      );
    }
    const upload = new URL(location, `${this.url}/`);
    upload.searchParams.set('digest', digest);
    const put = await this.request('PUT', upload.href, {
      scope,
      body: { type: 'application/octet-stream', bytes: config }
    });
    const putText = await put.text();
    if (put.status !== 201) {
      throw this.unexpected(`PUT ${upload.pathname}`, put.status, putText);
    }
    const manifest = Buffer.from(
      manifestWithConfig(manifestText, digest, config.length),
      'utf8'
    );
    const tagged = await this.request(
      'PUT',
      `/v2/${path}/manifests/${encodeURIComponent(tag)}`,
      { scope, body: { type: parsed.mediaType, bytes: manifest } }
    );
    const taggedText = await tagged.text();
    if (tagged.status !== 201) {
      throw this.unexpected(
        `PUT /v2/${path}/manifests/${tag}`,
        tagged.status,
        taggedText
      );
    }
    return true;
  }

  /**
   * Put the manifest `source` names under `target` as well (both `host/path:tag` in this
   * registry), without moving a byte of a layer: its config and layer blobs are mounted into
   * the target repository (`POST …/blobs/uploads/?mount=&from=`), then the same manifest is put
   * under the target's tag. The BinderHub backend makes BinderHub's image ours this way (then
   * `relabel`s it). `false` when `source` is not here. A registry that will not mount (202: it
   * opened an upload instead) is an error: copying the bytes is not this method's job.
   */
  async copyTag(source: string, target: string): Promise<boolean> {
    const from = splitReference(source, this.host);
    const to = splitReference(target, this.host);
    if (!from || !to) {
      throw new RegistryError(
        `${!from ? source : target} is not an image in the registry ${this.host}`
      );
    }
    const got = await this.request(
      'GET',
      `/v2/${from.path}/manifests/${encodeURIComponent(from.tag)}`,
      { scope: `repository:${from.path}:pull`, accept: MANIFEST_ACCEPT }
    );
    const manifestText = await got.text();
    if (got.status === 404) {
      return false;
    }
    if (!got.ok) {
      throw this.unexpected(
        `GET /v2/${from.path}/manifests/${from.tag}`,
        got.status,
        manifestText
      );
    }
    const parsed = parseManifest(got.headers.get('content-type'), manifestText);
    if (parsed.kind !== 'image') {
      throw new RegistryError(
        `${source} in the registry ${this.host} is not a single image (${parsed.mediaType})`
      );
    }
    const layers = (
      (JSON.parse(manifestText) as { layers?: { digest?: unknown }[] })
        .layers ?? []
    ).map(layer => layer.digest);
    const scope = `repository:${to.path}:pull,push`;
    for (const digest of [parsed.configDigest, ...layers]) {
      if (typeof digest !== 'string' || !isDigest(digest)) {
        throw new RegistryError(
          `${source} in the registry ${this.host} names a blob that is not a digest`
        );
      }
      const mounted = await this.request(
        'POST',
        `/v2/${to.path}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.path)}`,
        { scope }
      );
      const text = await mounted.text();
      if (mounted.status !== 201) {
        throw this.unexpected(
          `POST /v2/${to.path}/blobs/uploads/?mount=${digest}`,
          mounted.status,
          text
        );
      }
    }
    const put = await this.request(
      'PUT',
      `/v2/${to.path}/manifests/${encodeURIComponent(to.tag)}`,
      {
        scope,
        body: {
          type: parsed.mediaType,
          bytes: Buffer.from(manifestText, 'utf8')
        }
      }
    );
    const putText = await put.text();
    if (put.status !== 201) {
      throw this.unexpected(
        `PUT /v2/${to.path}/manifests/${to.tag}`,
        put.status,
        putText
      );
    }
    return true;
  }

  // ---- the distribution API -------------------------------------------------------------

  /** Every repository in the catalog, page by page. */
  async catalog(): Promise<string[]> {
    const repositories: string[] = [];
    let url: string | null = `${this.url}/v2/_catalog?n=1000`;
    while (url) {
      const response = await this.request('GET', url, {
        scope: 'registry:catalog:*'
      });
      const text = await response.text();
      if (
        response.status === 404 ||
        response.status === 405 ||
        response.status === 401 ||
        response.status === 403
      ) {
        throw new RegistryError(
          `the registry ${this.host} does not list its repositories (GET /v2/_catalog: HTTP ${response.status}), so its images cannot be listed`
        );
      }
      if (!response.ok) {
        throw this.unexpected('GET /v2/_catalog', response.status, text);
      }
      const body = this.json<{ repositories?: unknown }>(text, '/v2/_catalog');
      if (Array.isArray(body.repositories)) {
        repositories.push(
          ...body.repositories.filter(
            (name): name is string => typeof name === 'string'
          )
        );
      }
      url = nextPageUrl(response.headers.get('link'), this.url);
    }
    return repositories;
  }

  /** The tags of a repository; none if it is gone. */
  async tags(path: string): Promise<string[]> {
    const tags: string[] = [];
    let url: string | null = `${this.url}/v2/${path}/tags/list?n=1000`;
    while (url) {
      const response = await this.request('GET', url, {
        scope: `repository:${path}:pull`
      });
      const text = await response.text();
      if (response.status === 404) {
        return tags;
      }
      if (!response.ok) {
        throw this.unexpected(
          `GET /v2/${path}/tags/list`,
          response.status,
          text
        );
      }
      const body = this.json<{ tags?: unknown }>(text, `/v2/${path}/tags/list`);
      if (Array.isArray(body.tags)) {
        tags.push(
          ...body.tags.filter((tag): tag is string => typeof tag === 'string')
        );
      }
      url = nextPageUrl(response.headers.get('link'), this.url);
    }
    return tags;
  }

  /** The manifest a tag names, with its digest; `null` if there is none. */
  async manifest(
    path: string,
    tag: string
  ): Promise<{
    digest: string;
    parsed: ReturnType<typeof parseManifest>;
  } | null> {
    const response = await this.request(
      'GET',
      `/v2/${path}/manifests/${encodeURIComponent(tag)}`,
      {
        scope: `repository:${path}:pull`,
        accept: MANIFEST_ACCEPT
      }
    );
    const text = await response.text();
    if (response.status === 404) {
      return null;
    }
    if (!response.ok) {
      throw this.unexpected(
        `GET /v2/${path}/manifests/${tag}`,
        response.status,
        text
      );
    }
    const header = response.headers.get('docker-content-digest');
    const digest =
      header && isDigest(header)
        ? header
        : `sha256:${createHash('sha256').update(text).digest('hex')}`;
    return {
      digest,
      parsed: parseManifest(response.headers.get('content-type'), text)
    };
  }

  /** Our labels from a config blob, cached by digest; `null` when the image is not ours. */
  async configLabels(
    path: string,
    digest: string
  ): Promise<ImageLabels | null> {
    if (this.configs.has(digest)) {
      return this.configs.get(digest)!;
    }
    const response = await this.request('GET', `/v2/${path}/blobs/${digest}`, {
      scope: `repository:${path}:pull`
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) {
      throw this.unexpected(
        `GET /v2/${path}/blobs/${digest}`,
        response.status,
        bytes.toString('utf8')
      );
    }
    const [algorithm, hex] = digest.split(':');
    if (
      algorithm === 'sha256' &&
      createHash('sha256').update(bytes).digest('hex') !== hex
    ) {
      throw new RegistryError(
        `the registry ${this.host} sent a config blob that does not match its digest ${digest}`
      );
    }
    const labels = fromLabels(labelsOfConfig(bytes.toString('utf8')));
    if (this.configs.size >= CONFIG_CACHE_MAX) {
      this.configs.delete(this.configs.keys().next().value!);
    }
    this.configs.set(digest, labels);
    return labels;
  }

  /** One tag as an Image, or `null` if absent, not an image manifest, or not ours. */
  private async image(path: string, tag: string): Promise<Image | null> {
    const manifest = await this.manifest(path, tag);
    if (!manifest || manifest.parsed.kind !== 'image') {
      return null; // gone, or a multi-platform index / old schema: not something this service pushed
    }
    const labels = await this.configLabels(path, manifest.parsed.configDigest);
    if (!labels || expectedTag(labels) !== tag) {
      return null;
    }
    // The owner in the labels must be the one the name says: a name is the owner's namespace.
    const expected = renderRepository(
      this.template,
      namespaceFor(labels.owner, labels.shared),
      labels.name,
      this.prefix
    );
    if (expected !== path) {
      return null;
    }
    return toImage(`${this.host}/${path}:${tag}`, labels, null, {
      engine: false,
      registry: true
    });
  }

  // ---- HTTP with authentication --------------------------------------------------------

  private json<T>(text: string, what: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RegistryError(
        `the registry ${this.host} answered ${what} with something that is not JSON`
      );
    }
  }

  private unexpected(
    what: string,
    status: number,
    text: string
  ): RegistryError {
    const errors = registryErrors(text)
      .map(error => [error.code, error.message].filter(Boolean).join(': '))
      .join('; ');
    return new RegistryError(
      redactCredentials(
        `the registry ${this.host} answered ${what} with HTTP ${status}${errors ? ` (${errors})` : ''}`,
        this.credentials
      )
    );
  }

  private basicHeader(): string {
    const { username, password } = this.credentials!;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  private async send(
    method: string,
    url: string,
    accept: string | undefined,
    authorization: string | null,
    body?: { type: string; bytes: Buffer }
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (accept) {
      headers.accept = accept;
    }
    if (authorization) {
      headers.authorization = authorization;
    }
    if (body) {
      headers['content-type'] = body.type;
    }
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        body: body ? new Uint8Array(body.bytes) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs)
      });
    } catch (error) {
      throw new RegistryError(
        `the registry ${this.host} does not answer (${networkReason(error, this.timeoutMs)})`,
        502,
        'registry_unreachable'
      );
    }
  }

  /**
   * A request, authenticated as the registry asks: the cached Bearer token for this scope or
   * Basic up front when known, otherwise anonymously first and then as the 401's challenge says.
   */
  private async request(
    method: string,
    pathOrUrl: string,
    options: {
      scope: string | null;
      accept?: string;
      body?: { type: string; bytes: Buffer };
    }
  ): Promise<Response> {
    const url = pathOrUrl.startsWith('http')
      ? pathOrUrl
      : `${this.url}${pathOrUrl}`;
    if (new URL(url).origin !== new URL(this.url).origin) {
      // A `Link` to another host: our credentials do not go there.
      throw new RegistryError(
        `the registry ${this.host} pointed to another host (${new URL(url).host})`
      );
    }
    const key = options.scope ?? '';
    const cached = this.tokens.get(key);
    let authorization: string | null =
      cached && cached.expires > Date.now()
        ? `Bearer ${cached.value}`
        : this.basic && this.credentials
          ? this.basicHeader()
          : null;
    let response = await this.send(
      method,
      url,
      options.accept,
      authorization,
      options.body
    );
    if (response.status !== 401) {
      return response;
    }
    const challenges = parseWwwAuthenticate(
      response.headers.get('www-authenticate')
    );
    await response.body?.cancel();
    const bearer = challenges.find(challenge => challenge.scheme === 'bearer');
    const basic = challenges.find(challenge => challenge.scheme === 'basic');
    if (bearer) {
      const token = await this.token(bearer, options.scope);
      this.tokens.set(key, token);
      authorization = `Bearer ${token.value}`;
    } else if (basic) {
      if (!this.credentials) {
        throw new RegistryError(
          `the registry ${this.host} requires credentials, and none are configured ` +
            '(REPO2DOCKER_REGISTRY_USERNAME and REPO2DOCKER_REGISTRY_PASSWORD, or registry.credentialsFile)',
          502,
          'registry_unauthorized'
        );
      }
      this.basic = true;
      authorization = this.basicHeader();
    } else {
      throw new RegistryError(
        `the registry ${this.host} refused the request (HTTP 401) without a challenge this service understands`
      );
    }
    response = await this.send(
      method,
      url,
      options.accept,
      authorization,
      options.body
    );
    if (response.status === 401) {
      await response.body?.cancel();
      this.tokens.delete(key);
      throw new RegistryError(
        this.credentials
          ? `the registry ${this.host} refused the configured credentials`
          : `the registry ${this.host} requires credentials, and none are configured`,
        502,
        'registry_unauthorized'
      );
    }
    return response;
  }

  /** The token dance: ask the challenge's realm for a token for its service and scope. */
  private async token(
    challenge: Challenge,
    fallbackScope: string | null
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError(
        `the registry ${this.host} names a token service that is not a URL`
      );
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:') {
      throw new RegistryError(
        `the registry ${this.host} names a token service that is not http(s)`
      );
    }
    if (challenge.params.service) {
      realmUrl.searchParams.set('service', challenge.params.service);
    }
    const scope = challenge.params.scope ?? fallbackScope;
    if (scope) {
      for (const one of scope.split(' ').filter(Boolean)) {
        realmUrl.searchParams.append('scope', one);
      }
    }
    // Credentials go to the token service only over https, or to the registry's own host.
    const mayAuthenticate =
      this.credentials !== null &&
      (realmUrl.protocol === 'https:' || realmUrl.host === this.host);
    const response = await this.send(
      'GET',
      realmUrl.href,
      'application/json',
      mayAuthenticate ? this.basicHeader() : null
    );
    const text = await response.text();
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        this.credentials
          ? `the registry ${this.host}'s token service refused the configured credentials`
          : `the registry ${this.host} requires credentials, and none are configured`,
        502,
        'registry_unauthorized'
      );
    }
    if (!response.ok) {
      throw new RegistryError(
        `the registry ${this.host}'s token service answered HTTP ${response.status}`
      );
    }
    const body = this.json<{
      token?: unknown;
      access_token?: unknown;
      expires_in?: unknown;
    }>(text, 'the token request');
    const value =
      typeof body.token === 'string'
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : null;
    if (!value) {
      throw new RegistryError(
        `the registry ${this.host}'s token service sent no token`
      );
    }
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : 60;
    return { value, expires: Date.now() + Math.max(0, seconds - 10) * 1000 };
  }
}
