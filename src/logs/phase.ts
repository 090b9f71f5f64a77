/**
 * How a build phase and a connection state read and look: one place for the words and icons.
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
  stopIcon,
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
  cancelled: stopIcon
};

/** The phase in words; `null` (no event yet) reads "Waiting". */
export function phaseLabel(trans: TranslationBundle, phase: BuildPhase | null): string {
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
      return state.attempt === 0 ? trans.__('Connecting…') : trans.__('Reconnecting…');
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

/** `m:ss` or `h:mm:ss`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
