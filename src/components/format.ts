/**
 * Formatting helpers shared by the panel's components.
 */

import type { BuildPhase } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';

/** A size in bytes, in decimal units as Docker shows them (`1.2 GB`). */
export function formatBytes(bytes: number | null, trans: TranslationBundle): string {
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

/** A duration in seconds, short (`45 s`, `3 min 05 s`, `1 h 02 min`). */
export function formatDuration(totalSeconds: number, trans: TranslationBundle): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  if (seconds < 60) {
    return trans.__('%1 s', seconds);
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans.__('%1 min %2 s', minutes, String(seconds % 60).padStart(2, '0'));
  }
  const hours = Math.floor(minutes / 60);
  return trans.__('%1 h %2 min', hours, String(minutes % 60).padStart(2, '0'));
}

/** Seconds between two ISO dates (`end` defaults to `now`). */
export function secondsBetween(start: string | null, end: string | null, now: number): number {
  const from = Date.parse(start ?? '');
  if (Number.isNaN(from)) {
    return 0;
  }
  const to = end ? Date.parse(end) : now;
  return Number.isNaN(to) ? 0 : Math.max(0, (to - from) / 1000);
}

/** A date as a short local date and time. */
export function formatDate(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A build phase in words. */
export function phaseLabel(phase: BuildPhase, trans: TranslationBundle): string {
  switch (phase) {
    case 'queued':
      return trans.__('queued');
    case 'fetching':
      return trans.__('fetching');
    case 'building':
      return trans.__('building');
    case 'pushing':
      return trans.__('pushing');
    case 'built':
      return trans.__('built');
    case 'failed':
      return trans.__('failed');
    case 'cancelled':
      return trans.__('cancelled');
    default:
      return String(phase);
  }
}

/** The first characters of a commit. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 8);
}

/** A repository URL without its scheme, for display. */
export function shortRepo(repo: string): string {
  return repo.replace(/^[a-z]+:\/\//i, '').replace(/\.git$/, '');
}
