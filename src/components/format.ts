/**
 * Formatting helpers of the panel's components. Phases and durations read the same in the panel
 * and the log viewer: see `../logs/phase.ts`.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

/** A size in bytes, in decimal units as Docker shows them (`1.2 GB`). */
export function formatBytes(
  bytes: number | null,
  trans: TranslationBundle
): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) {
    return trans.__('unknown size');
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Milliseconds between two ISO dates (`end` defaults to `now`, epoch ms). */
export function msBetween(
  start: string | null,
  end: string | null,
  now: number
): number {
  const from = Date.parse(start ?? '');
  if (Number.isNaN(from)) {
    return 0;
  }
  const to = end ? Date.parse(end) : now;
  return Number.isNaN(to) ? 0 : Math.max(0, to - from);
}

/** A date as a short local date and time. */
export function formatDate(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The first characters of a commit. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 8);
}

/** How many characters of a commit-like image tag are shown. */
const SHORT_TAG_LENGTH = 12;

/** An image tag for display: the first 12 characters when it is a commit hash, else whole. */
export function shortTag(tag: string): string {
  return /^[0-9a-f]{13,}$/i.test(tag) ? tag.slice(0, SHORT_TAG_LENGTH) : tag;
}

/** A repository URL without its scheme, for display. */
export function shortRepo(repo: string): string {
  return repo.replace(/^[a-z]+:\/\//i, '').replace(/\.git$/, '');
}

/**
 * What a build is called in tab titles and pickers: its name and the time it was started, so
 * that two builds of the same image tell apart (`ok 14:03:21`).
 */
export function buildLabel(
  build: { displayName?: string | null; name: string; createdAt: string },
  trans: TranslationBundle
): string {
  const name = build.displayName || build.name;
  const date = new Date(build.createdAt);
  if (Number.isNaN(date.getTime())) {
    return name;
  }
  const time = date.toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit'
  });
  return trans.__('%1 %2', name, time);
}
