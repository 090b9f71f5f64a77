/**
 * Who may see and act on what (SPEC, Permissions): a user sees their own builds and images, the
 * shared namespace's, and those their owner shared with them (one of the user's hub groups, or
 * everyone); `admin` sees and acts on all. Ownership is the hub identity's name. Seeing an image
 * is what lets a user start it and read the log of the build behind it; changing it (sharing,
 * deleting, cancelling) stays with its owner and admins.
 */
import type { Sharing } from '../api/contract.js';
import { forbidden, missingScope } from '../api/errors.js';
import type { Identity } from './identity.js';

interface Owned {
  owner: string;
  shared: boolean;
  /** The image's sharing labels; absent (a build whose image is gone) is owner-only. */
  sharing?: Sharing;
}

/** Someone an image may be shared with: a hub user by name, and the hub groups they are in. */
export interface Member {
  name: string;
  groups?: readonly string[];
}

/**
 * THE sharing rule, for users and for the spawner's question about a user alike: their own, the
 * shared namespace's, and what its owner shared with everyone or with a group they are in.
 */
export function usableBy(member: Member, item: Owned): boolean {
  if (item.owner === member.name || item.shared) {
    return true;
  }
  const sharing = item.sharing;
  if (!sharing || sharing.visibility === 'owner') {
    return false;
  }
  if (sharing.visibility === 'everyone') {
    return true;
  }
  return (
    sharing.visibility === 'groups' &&
    sharing.groups.some(group => member.groups?.includes(group) ?? false)
  );
}

/** The caller's groups an image reached them through (for "via course-101"); none for their own. */
export function sharedVia(member: Member, item: Owned): string[] {
  if (item.owner === member.name || item.sharing?.visibility !== 'groups') {
    return [];
  }
  return item.sharing.groups.filter(
    group => member.groups?.includes(group) ?? false
  );
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

/** May ask what another user may use (`GET /api/images?usableBy=`): the spawner's token, admins. */
export function canAskForOthers(identity: Identity): boolean {
  return identity.permissions.admin || identity.scopes.includes(READ_ALL_SCOPE);
}

export function canSee(identity: Identity, item: Owned): boolean {
  return canAskForOthers(identity) || usableBy(identity, item);
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

/**
 * The groups an image may be shared with: the owner's own hub groups when the owner asks. An
 * admin changing another user's image cannot read that user's groups (the service's hub token
 * has no such scope), so may only keep or narrow the groups the owner chose.
 * Returns the groups not allowed (empty: all fine).
 */
export function groupsNotAllowed(
  identity: Identity,
  item: Owned,
  groups: readonly string[]
): string[] {
  const allowed =
    item.owner === identity.name
      ? (identity.groups ?? [])
      : item.sharing?.visibility === 'groups'
        ? item.sharing.groups
        : [];
  return groups.filter(group => !allowed.includes(group));
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
