/**
 * Who is calling and what they may do. Authenticators turn a request into an Identity; every
 * permission decision is made from it by `policy.ts`, never by the routes themselves.
 */
import type { MissingScope, Permissions } from '../api/contract.js';

export interface Identity {
  /**
   * The hub's name for the user (or the local user). Owner of what they build. A hub *service*
   * is named `service/<its name>` (see `ownerName` in jupyterhub.ts): hub user names cannot hold
   * `/`, so a service never shares an owner, nor a namespace, with a user of the same name.
   */
  name: string;
  /** What the hub says the token belongs to; absent means a user (local mode). */
  kind?: 'user' | 'service';
  /** Hub admin flag, informational; permissions come from scopes. */
  admin: boolean;
  /**
   * The hub groups the user is in, from the hub's user model (refreshed with the token cache);
   * what images may be shared with. Absent or empty: none (local mode, a hub service).
   */
  groups?: string[];
  /** The token's scopes that concern this service, as the hub reported them. */
  scopes: string[];
  permissions: Permissions;
}

export interface RequestCredentials {
  /** Header values, lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
  /** The client's address, for rate-limiting failed authentication (see failure-limiter.ts). */
  client?: string;
}

export interface Authenticator {
  readonly mode: 'local' | 'jupyterhub';
  /** Resolve the caller; throws ApiError 401 (no/bad token) or 503 (identity provider down). */
  authenticate(request: RequestCredentials): Promise<Identity>;
  /** Lookups answered from a cache and not, for authenticators that cache (metrics). */
  cacheStats?(): { hits: number; misses: number };
}

export const scopeNames = (serviceName: string) =>
  ({
    access: `access:services!service=${serviceName}`,
    read: 'custom:repo2docker:read',
    build: 'custom:repo2docker:build',
    admin: 'custom:repo2docker:admin'
  }) as const;

/** What the caller lacks, each with the jupyterhub_config.py setting that grants it. */
export function missingScopes(
  identity: Identity,
  serviceName: string
): MissingScope[] {
  const names = scopeNames(serviceName);
  const hint = (scope: string): string =>
    `An administrator grants it by adding "${scope}" to the scopes of a role of this user in ` +
    `c.JupyterHub.load_roles and to c.Spawner.oauth_client_allowed_scopes; then log in again.`;
  const missing: MissingScope[] = [];
  for (const grants of ['access', 'read', 'build'] as const) {
    if (!identity.permissions[grants]) {
      missing.push({ scope: names[grants], grants, hint: hint(names[grants]) });
    }
  }
  return missing;
}
