/**
 * Who may do what, as the panel shows it: the one place the extension writes the rules.
 *
 * They mirror the service's (service/src/auth/policy.ts, SPEC "Permissions"), which enforces them;
 * here they only decide which controls to show, so that nobody is offered what the service would
 * refuse. `user` is `info.user` (`null` before the info is loaded: nothing is allowed).
 */

import type {
  Build,
  Image,
  Info
} from '@jupyterlab-repo2docker/service/contract';

type User = Info['user'] | null | undefined;

/** Something owned: a build or an image. */
interface IOwned {
  owner: string;
  shared: boolean;
}

/** May list builds and images (`read`, or `admin`, which sees everyone's). */
export function canRead(user: User): boolean {
  const p = user?.permissions;
  return p ? p.read || p.admin : false;
}

/** May start builds. */
export function canBuild(user: User): boolean {
  return user?.permissions.build === true;
}

/** May build into the shared namespace that every user sees. */
export function canShare(user: User): boolean {
  return user?.permissions.admin === true;
}

/**
 * May change (cancel, delete) `item`: an admin anything; otherwise the owner with the build
 * permission, and only what is not shared (as the service's `canModify`).
 */
export function canModify(user: User, item: IOwned): boolean {
  if (!user) {
    return false;
  }
  return (
    user.permissions.admin ||
    (user.permissions.build && !item.shared && item.owner === user.name)
  );
}

/** May cancel `build` (and it is still running: `final` says whether it is over). */
export function canCancel(user: User, build: Build, final: boolean): boolean {
  return !final && canModify(user, build);
}

/** May delete `image`. */
export function canDelete(user: User, image: Image): boolean {
  return canModify(user, image);
}

/**
 * May rebuild `image`: a rebuild is a new build of the caller's, so it needs the build permission,
 * and builds into the image's namespace: their own, or the shared one (admins only).
 */
export function canRebuild(user: User, image: Image): boolean {
  if (!user || !canBuild(user)) {
    return false;
  }
  return image.shared ? canShare(user) : image.owner === user.name;
}
