/**
 * How a build phase, a duration and a connection state read and look: one place for the words
 * and icons, shared by the log viewer and the Environments panel.
 */

import type { BuildPhase } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  buildIcon,
  checkIcon,
  downloadIcon,
  fileUploadIcon,
  historyIcon,
  LabIcon,
  clearIcon,
  closeIcon
} from '@jupyterlab/ui-components';
import type { ConnectionState } from './tokens';

/** The icon of each phase (tab title and header). */
export const PHASE_ICONS: Readonly<Record<BuildPhase, LabIcon>> = {
  queued: historyIcon,
  fetching: downloadIcon,
  building: buildIcon,
  pushing: fileUploadIcon,
  built: checkIcon,
  failed: closeIcon,
  // 16 px like the others (stopIcon is drawn at 24 px and would misalign the tab title).
  cancelled: clearIcon
};

/** The phase in words; `null` (no event yet) reads "Waiting". */
export function phaseLabel(
  trans: TranslationBundle,
  phase: BuildPhase | null
): string {
  switch (phase) {
    case 'queued':
      return trans.__('Queued');
    case 'fetching':
      return trans.__('Fetching');
    case 'building':
      return trans.__('Building');
    case 'pushing':
      return trans.__('Pushing');
    case 'built':
      return trans.__('Built');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    default:
      return trans.__('Waiting');
  }
}

/** The connection state in plain words, for the header. */
export function connectionLabel(
  trans: TranslationBundle,
  state: ConnectionState,
  now: number = Date.now()
): string {
  switch (state.status) {
    case 'idle':
      return '';
    case 'connecting':
      return state.attempt === 0
        ? trans.__('Connecting…')
        : trans.__('Reconnecting…');
    case 'live':
      return trans.__('Live');
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return seconds > 0
        ? trans.__('Connection lost; reconnecting in %1 s', seconds)
        : trans.__('Reconnecting…');
    }
    case 'ended':
      return trans.__('Log complete');
    case 'error':
      return state.message;
  }
}

/** A duration in ms, short and in words (`45 s`, `3 min 05 s`, `1 h 02 min`). */
export function formatDuration(ms: number, trans: TranslationBundle): string {
  const seconds = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  if (seconds < 60) {
    return trans.__('%1 s', seconds);
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return trans.__(
      '%1 min %2 s',
      minutes,
      String(seconds % 60).padStart(2, '0')
    );
  }
  const hours = Math.floor(minutes / 60);
  return trans.__('%1 h %2 min', hours, String(minutes % 60).padStart(2, '0'));
}
