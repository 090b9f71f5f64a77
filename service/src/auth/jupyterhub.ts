/**
 * JupyterHub as the identity provider: the caller's token is checked against the hub
 * (`GET {JUPYTERHUB_API_URL}/user`) and the scopes the hub reports for that token decide what
 * the request may do. Answers are cached briefly (scopes can be revoked) in a bounded map keyed
 * by a hash of the token, so the token itself is never kept. A hub that does not answer gives
 * 503, never a pass.
 *
 * What a bad token may cost: tokens the hub refused are remembered briefly too (in a map of their
 * own, so a flood of random tokens cannot push good ones out of the cache); concurrent lookups of
 * one token share one hub call; and a client whose tokens keep failing gets 429 without a hub call
 * (failure-limiter.ts). A cached good token is answered before the limiter is asked, so users
 * behind the same address as an attacker keep working as long as their token is cached.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.js';
import type {
  Authenticator,
  Identity,
  RequestCredentials
} from './identity.js';
import { scopeNames } from './identity.js';
import { FailureLimiter, type FailureLimit } from './failure-limiter.js';
import { bearerToken } from './local.js';

export interface JupyterHubAuthOptions {
  /** `JUPYTERHUB_API_URL`, e.g. `http://127.0.0.1:8081/hub/api`. */
  apiUrl: string;
  /** The service's own `JUPYTERHUB_API_TOKEN` (for the OAuth flow of its pages); never logged. */
  apiToken: string;
  serviceName: string;
  cacheSeconds: number;
  cacheMaxEntries: number;
  timeoutMs?: number;
  /** Refused tokens are remembered this long (default 10 s), at most `cacheMaxEntries` of them. */
  refusedCacheSeconds?: number;
  /** Failed authentications per client address (default 20 per 60 s). */
  failureLimit?: FailureLimit;
}

const DEFAULT_FAILURE_LIMIT: FailureLimit = {
  maxFailures: 20,
  windowSeconds: 60
};

/** What the hub's `GET /user` answers with a user's (or service's) token. */
interface HubIdentity {
  kind?: string;
  name?: string;
  admin?: boolean;
  scopes?: string[];
  /** Names of the user's groups (every token may read its own user's: `identify`). */
  groups?: unknown;
}

/** The group names of a hub user model; anything that is not a list of names counts as none. */
export function groupsOf(hub: HubIdentity): string[] {
  if (hub.kind === 'service' || !Array.isArray(hub.groups)) {
    return [];
  }
  return [
    ...new Set(
      hub.groups.filter(
        (group): group is string => typeof group === 'string' && group !== ''
      )
    )
  ].sort();
}

interface CacheEntry {
  identity: Identity;
  expires: number;
}

/** The owner name of a hub identity: a service's carries a `/`, which no hub user name can. */
export function ownerName(hub: HubIdentity): string {
  const name = hub.name ?? '';
  return hub.kind === 'service' && name !== '' ? `service/${name}` : name;
}

const refused = (): ApiError =>
  new ApiError(
    401,
    'unauthenticated',
    'JupyterHub does not accept this token (expired? reload JupyterLab)'
  );

/** Insert at the end of a map used as an LRU, and drop the oldest past `max`. */
function remember<T>(
  map: Map<string, T>,
  key: string,
  value: T,
  max: number
): void {
  map.delete(key); // re-insert at the end: the map's order is the eviction order
  map.set(key, value);
  while (map.size > max) {
    map.delete(map.keys().next().value as string);
  }
}

/** Permissions from the token's scopes. Admin includes build, and build includes read. */
export function identityFromHub(
  hub: HubIdentity,
  serviceName: string
): Identity {
  const names = scopeNames(serviceName);
  const scopes = hub.scopes ?? [];
  const has = (scope: string): boolean => scopes.includes(scope);
  const admin = has(names.admin);
  const build = admin || has(names.build);
  const read = build || has(names.read);
  return {
    name: ownerName(hub),
    kind: hub.kind === 'service' ? 'service' : 'user',
    admin: hub.admin ?? false,
    // Cached with the identity, so a change of groups is seen when the token's entry expires.
    groups: groupsOf(hub),
    scopes,
    permissions: {
      access: has(names.access) || has('access:services'),
      read,
      build,
      admin
    }
  };
}

export class JupyterHubAuthenticator implements Authenticator {
  readonly mode = 'jupyterhub' as const;
  private readonly cache = new Map<string, CacheEntry>();
  /** Token hashes the hub refused, with when to forget them. */
  private readonly refused = new Map<string, number>();
  /** Lookups under way, by token hash: concurrent requests with one token share one hub call. */
  private readonly inFlight = new Map<string, Promise<Identity>>();
  private readonly limiter: FailureLimiter;
  hits = 0;
  misses = 0;

  constructor(private readonly options: JupyterHubAuthOptions) {
    this.limiter = new FailureLimiter(
      options.failureLimit ?? DEFAULT_FAILURE_LIMIT
    );
  }

  cacheStats(): { hits: number; misses: number } {
    return { hits: this.hits, misses: this.misses };
  }

  async authenticate(request: RequestCredentials): Promise<Identity> {
    const token = bearerToken(request);
    if (token === undefined) {
      throw new ApiError(
        401,
        'unauthenticated',
        'send your JupyterHub token as "Authorization: token <token>"'
      );
    }
    const key = createHash('sha256').update(token).digest('hex');
    const client = request.client ?? 'unknown';
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) {
      this.hits++;
      return cached.identity;
    }
    const refusedUntil = this.refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > now) {
      // Not counted as a failure: it cost nothing, and a page polling with its expired token
      // must not get its whole address (a campus NAT) throttled.
      this.hits++;
      throw refused();
    }
    const shared = this.inFlight.get(key);
    if (shared) {
      this.hits++;
      return shared;
    }
    const lookup = this.limiter.guard(
      client,
      () => this.resolve(token, key),
      error => error instanceof ApiError && error.status === 401
    );
    this.inFlight.set(key, lookup);
    try {
      return await lookup;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Ask the hub, and remember the answer in the cache it belongs to. */
  private async resolve(token: string, key: string): Promise<Identity> {
    this.misses++;
    let identity: Identity;
    try {
      identity = identityFromHub(
        await this.lookUp(token),
        this.options.serviceName
      );
      if (!identity.name) {
        throw new ApiError(
          401,
          'unauthenticated',
          'the hub did not name the owner of this token'
        );
      }
      if (identity.kind === 'user' && identity.name.includes('/')) {
        // JupyterHub refuses "/" in user names; one here could pose as a service's owner name.
        throw new ApiError(
          401,
          'unauthenticated',
          'the hub named a user with a "/" in the name, which this service cannot tell from a hub service'
        );
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        const seconds = this.options.refusedCacheSeconds ?? 10;
        remember(
          this.refused,
          key,
          Date.now() + seconds * 1000,
          this.options.cacheMaxEntries
        );
      }
      throw error;
    }
    this.refused.delete(key);
    remember(
      this.cache,
      key,
      { identity, expires: Date.now() + this.options.cacheSeconds * 1000 },
      this.options.cacheMaxEntries
    );
    return identity;
  }

  private async lookUp(token: string): Promise<HubIdentity> {
    let response: Response;
    try {
      response = await fetch(`${this.options.apiUrl.replace(/\/$/, '')}/user`, {
        headers: {
          Authorization: `token ${token}`,
          Accept: 'application/json'
        },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000)
      });
    } catch {
      throw new ApiError(
        503,
        'hub_unreachable',
        'JupyterHub does not answer, so your token cannot be checked; try again later'
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined); // free the connection for the next call
      if (
        response.status === 401 ||
        response.status === 403 ||
        response.status === 404
      ) {
        throw refused();
      }
      throw new ApiError(
        503,
        'hub_unreachable',
        `JupyterHub answered ${response.status} when checking your token`
      );
    }
    try {
      return (await response.json()) as HubIdentity;
    } catch {
      throw new ApiError(
        503,
        'hub_unreachable',
        'JupyterHub answered something that is not JSON when checking your token'
      );
    }
  }
}
