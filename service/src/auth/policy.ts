/**
 * Who may see and act on what (SPEC, Permissions): a user sees their own builds and images and
 * the shared ones; `admin` sees and acts on all. Ownership is the hub identity's name.
 */
import { forbidden, missingScope } from '../api/errors.js';
import type { Identity } from './identity.js';

interface Owned {
  owner: string;
  shared: boolean;
}

export function requirePermission(
  identity: Identity,
  permission: 'read' | 'build' | 'admin',
  scope: string
): void {
  if (!identity.permissions[permission]) {
    throw missingScope(scope, `your token lacks the scope ${scope}`);
  }
}

/**
 * Read-only, everyone's: for the hub's spawner helper (jupyterlab_repo2docker/spawner.py), which
 * asks which images each user may start. The hub expands it to include `read` (its subscope in
 * examples/jupyterhub_config.py); it grants no build, cancel nor delete.
 */
export const READ_ALL_SCOPE = 'custom:repo2docker:read-all';

export function canSee(identity: Identity, item: Owned): boolean {
  return (
    identity.permissions.admin ||
    item.shared ||
    item.owner === identity.name ||
    identity.scopes.includes(READ_ALL_SCOPE)
  );
}

/** Cancel a build, delete an image: the owner (with build scope) or an admin. Shared: admin only. */
export function canModify(identity: Identity, item: Owned): boolean {
  if (identity.permissions.admin) {
    return true;
  }
  return (
    identity.permissions.build && !item.shared && item.owner === identity.name
  );
}

export function requireModify(
  identity: Identity,
  item: Owned,
  what: string
): void {
  if (!canModify(identity, item)) {
    throw forbidden(`only the owner of this ${what} or an admin may change it`);
  }
}
