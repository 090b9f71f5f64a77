/**
 * JupyterHub as the identity provider: the caller's token is checked against the hub
 * (`GET {JUPYTERHUB_API_URL}/user`) and the scopes the hub reports for that token decide what
 * the request may do. Answers are cached briefly (scopes can be revoked) in a bounded map keyed
 * by a hash of the token, so the token itself is never kept. A hub that does not answer gives
 * 503, never a pass.
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.js';
import type { Authenticator, Identity, RequestCredentials } from './identity.js';
import { scopeNames } from './identity.js';
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
}

/** What the hub's `GET /user` answers with a user's (or service's) token. */
interface HubIdentity {
  kind?: string;
  name?: string;
  admin?: boolean;
  scopes?: string[];
}

interface CacheEntry {
  identity: Identity;
  expires: number;
}

/** Permissions from the token's scopes. Admin includes build, and build includes read. */
export function identityFromHub(hub: HubIdentity, serviceName: string): Identity {
  const names = scopeNames(serviceName);
  const scopes = hub.scopes ?? [];
  const has = (scope: string): boolean => scopes.includes(scope);
  const admin = has(names.admin);
  const build = admin || has(names.build);
  const read = build || has(names.read);
  return {
    name: hub.name ?? '',
    admin: hub.admin ?? false,
    scopes,
    permissions: { access: has(names.access) || has('access:services'), read, build, admin }
  };
}

export class JupyterHubAuthenticator implements Authenticator {
  readonly mode = 'jupyterhub' as const;
  private readonly cache = new Map<string, CacheEntry>();
  hits = 0;
  misses = 0;

  constructor(private readonly options: JupyterHubAuthOptions) {}

  cacheStats(): { hits: number; misses: number } {
    return { hits: this.hits, misses: this.misses };
  }

  async authenticate(request: RequestCredentials): Promise<Identity> {
    const token = bearerToken(request);
    if (token === undefined) {
      throw new ApiError(401, 'unauthenticated', 'send your JupyterHub token as "Authorization: token <token>"');
    }
    const key = createHash('sha256').update(token).digest('hex');
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.expires > now) {
      this.hits++;
      return cached.identity;
    }
    this.misses++;
    const identity = identityFromHub(await this.lookUp(token), this.options.serviceName);
    if (!identity.name) {
      throw new ApiError(401, 'unauthenticated', 'the hub did not name the owner of this token');
    }
    this.cache.delete(key); // re-insert at the end: the map's order is the eviction order
    this.cache.set(key, { identity, expires: now + this.options.cacheSeconds * 1000 });
    while (this.cache.size > this.options.cacheMaxEntries) {
      this.cache.delete(this.cache.keys().next().value as string);
    }
    return identity;
  }

  private async lookUp(token: string): Promise<HubIdentity> {
    let response: Response;
    try {
      response = await fetch(`${this.options.apiUrl.replace(/\/$/, '')}/user`, {
        headers: { Authorization: `token ${token}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000)
      });
    } catch {
      throw new ApiError(503, 'hub_unreachable', 'JupyterHub does not answer, so your token cannot be checked; try again later');
    }
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      throw new ApiError(401, 'unauthenticated', 'JupyterHub does not accept this token (expired? reload JupyterLab)');
    }
    if (!response.ok) {
      throw new ApiError(503, 'hub_unreachable', `JupyterHub answered ${response.status} when checking your token`);
    }
    return (await response.json()) as HubIdentity;
  }
}
