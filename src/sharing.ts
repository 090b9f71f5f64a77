/**
 * Who may see an image besides its owner, as the panel shows it (issue 14): the badge's words,
 * whose images are "shared with you" and through which group.
 *
 * The service enforces sharing (it lists only what the caller may see); these only decide where
 * the panel lists an image and what it says about it.
 */

import type {
  Image,
  Info,
  Sharing
} from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';

type User = Info['user'] | null | undefined;

/** Private to its owner: what an image without sharing labels (an older service) means. */
export const OWNER_ONLY: Sharing = { visibility: 'owner', groups: [] };

/** The image's sharing, `OWNER_ONLY` when the service does not say. */
export function sharingOf(image: Image): Sharing {
  const sharing = (image as Partial<Image>).sharing;
  if (!sharing || typeof sharing !== 'object') {
    return OWNER_ONLY;
  }
  return {
    visibility: sharing.visibility,
    groups: Array.isArray(sharing.groups) ? sharing.groups : []
  };
}

/** The caller's hub groups (`[]` before the info is loaded, or from a service without them). */
export function userGroups(user: User): string[] {
  const groups = (user as Partial<Info['user']> | null | undefined)?.groups;
  return Array.isArray(groups) ? groups : [];
}

/** Whether the image is the caller's own (not one of the shared namespace's). */
export function isOwnImage(user: User, image: Image): boolean {
  return !!user && !image.shared && image.owner === user.name;
}

/**
 * Whether the caller may change who sees the image: its owner, as the service's sharing route
 * allows (admins may too, but the dialog speaks of "me", so the panel offers it to owners).
 */
export function canChangeSharing(user: User, image: Image): boolean {
  return isOwnImage(user, image);
}

/** The badge on an own image: `Only me`, `Groups: a, b` or `Everyone`. */
export function visibilityText(
  sharing: Sharing,
  trans: TranslationBundle
): string {
  switch (sharing.visibility) {
    case 'everyone':
      return trans.__('Everyone');
    case 'groups':
      return sharing.groups.length > 0
        ? trans.__('Groups: %1', sharing.groups.join(', '))
        : trans.__('Only me');
    case 'owner':
    default:
      return trans.__('Only me');
  }
}

/** Why an image that is not the caller's is listed for them. */
export interface ISharedWithYou {
  owner: string;
  /** The first of the caller's groups the image is shared with; `null` when shared with everyone. */
  via: string | null;
}

/**
 * How an image reached the caller when it is someone else's and shared with them: with everyone
 * (or built into the shared namespace), or through one of their groups. `null` for the caller's
 * own images and for others' images the caller sees only as an admin.
 */
export function sharedWithYou(user: User, image: Image): ISharedWithYou | null {
  if (!user || isOwnImage(user, image)) {
    return null;
  }
  if (image.shared && image.owner === user.name) {
    // The admin's own build into the shared namespace: theirs to manage, listed with theirs.
    return null;
  }
  const sharing = sharingOf(image);
  if (image.shared || sharing.visibility === 'everyone') {
    return { owner: image.owner, via: null };
  }
  if (sharing.visibility === 'groups') {
    const mine = new Set(userGroups(user));
    const via = sharing.groups.find(group => mine.has(group));
    if (via !== undefined) {
      return { owner: image.owner, via };
    }
  }
  return null;
}

/** The images of the "Images" section and those of "Shared with you", in the given order. */
export function splitImages(
  user: User,
  images: readonly Image[]
): { own: Image[]; shared: Image[] } {
  const own: Image[] = [];
  const shared: Image[] = [];
  for (const image of images) {
    (sharedWithYou(user, image) ? shared : own).push(image);
  }
  return { own, shared };
}

/** "shared by alice", "via course-101" / "with everyone": the words of a shared row. */
export function sharedWithYouText(
  shared: ISharedWithYou,
  trans: TranslationBundle
): { by: string; how: string } {
  return {
    by: trans.__('shared by %1', shared.owner),
    how:
      shared.via === null
        ? trans.__('with everyone')
        : trans.__('via %1', shared.via)
  };
}
