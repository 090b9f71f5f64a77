/**
 * A page of `GET /api/images`: `limit` and `offset` (the list is newest first), and `q`, a
 * case-insensitive text filter on the name, display name, source and owner (every word of it,
 * in any of them: the panel's filter box). With 2,000 images the whole list is ~0.9 MB; a
 * panel that shows fifty rows asks for fifty.
 *
 * The page's answer says how many images matched (`total`), so a client can page on; without
 * any of the three the answer is the whole list, as before.
 */
import type { Image, ImageList, PagedImageList } from '../api/contract.js';
import { invalidField } from '../api/errors.js';

/** The query keys this module reads. */
export const PAGE_KEYS = ['limit', 'offset', 'q'] as const;

/** Most images in one page. */
export const MAX_LIMIT = 1000;
const MAX_QUERY = 200;

export interface ImagePage {
  limit: number | null;
  offset: number;
  /** Lower-cased filter text, `''` for none. */
  q: string;
}

/** The answer with a page (defined once, in the contract). */
export type { PagedImageList };

/** Longest `owner` accepted: longer than any hub user name, short enough to refuse junk. */
const MAX_OWNER = 255;

/**
 * The `owner` filter's value (the panel's "Mine only" asks with the user's name): one value, of
 * 1 to 255 characters without control characters, else 400 naming `owner`. Exact match, as the
 * service writes owners.
 */
export function ownerFilter(value: unknown): string {
  if (typeof value !== 'string') {
    throw invalidField('owner', 'give owner once');
  }
  if (
    value.length === 0 ||
    value.length > MAX_OWNER ||
    /[\u0000-\u001f\u007f]/.test(value)
  ) {
    throw invalidField(
      'owner',
      `owner is a hub user name: 1 to ${MAX_OWNER} characters, without control characters`
    );
  }
  return value;
}

function integer(
  field: string,
  value: unknown,
  min: number,
  max: number
): number {
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) {
    throw invalidField(
      field,
      `${field} must be a whole number from ${min} to ${max}, given once`
    );
  }
  const n = Number(value);
  if (n < min || n > max) {
    throw invalidField(field, `${field} must be from ${min} to ${max}`);
  }
  return n;
}

/**
 * Take `limit`, `offset` and `q` out of `query` (the other keys are left to the route), or
 * `null` when none was given.
 */
export function takeImagePage(
  query: Record<string, unknown>
): ImagePage | null {
  if (!PAGE_KEYS.some(key => key in query)) {
    return null;
  }
  const page: ImagePage = { limit: null, offset: 0, q: '' };
  if ('limit' in query) {
    page.limit = integer('limit', query.limit, 1, MAX_LIMIT);
  }
  if ('offset' in query) {
    page.offset = integer('offset', query.offset, 0, 1_000_000_000);
  }
  if ('q' in query) {
    const q = query.q;
    if (typeof q !== 'string') {
      throw invalidField('q', 'give q once');
    }
    if (q.length > MAX_QUERY || /[\u0000-\u001f\u007f]/.test(q)) {
      throw invalidField(
        'q',
        `q is at most ${MAX_QUERY} characters, without control characters`
      );
    }
    page.q = q.trim().toLowerCase();
  }
  for (const key of PAGE_KEYS) {
    delete query[key];
  }
  return page;
}

/**
 * Whether `image` matches the filter text (already lower-cased): every word of it occurs in its
 * name, display name, source, owner or ref, as the panel filters its builds.
 */
export function imageMatchesText(image: Image, q: string): boolean {
  const words = q.split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const text = [
    image.name,
    image.displayName,
    image.repo,
    image.owner,
    image.ref
  ]
    .filter(field => typeof field === 'string')
    .join('\n')
    .toLowerCase();
  return words.every(word => text.includes(word));
}

/** The page of `body` (images already filtered by visibility and sorted newest first). */
export function pageOf(body: ImageList, page: ImagePage): PagedImageList {
  const matching = page.q
    ? body.images.filter(image => imageMatchesText(image, page.q))
    : body.images;
  const end = page.limit === null ? matching.length : page.offset + page.limit;
  return {
    ...body,
    images: matching.slice(page.offset, end),
    total: matching.length,
    offset: page.offset,
    limit: page.limit
  };
}

/** The part of the catalog's cache key that tells pages apart. */
export function pageKey(page: ImagePage | null): string {
  return page === null ? '' : `\n${JSON.stringify(page)}`;
}
