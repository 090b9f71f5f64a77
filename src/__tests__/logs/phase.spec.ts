import { nullTranslator } from '@jupyterlab/translation';
import {
  connectionLabel,
  formatDuration,
  PHASE_ICONS,
  phaseLabel
} from '../../logs/phase';

const trans = nullTranslator.load('jupyterlab_repo2docker');

describe('phase and connection wording', () => {
  it('names every phase and gives it an icon', () => {
    expect(phaseLabel(trans, null)).toBe('Waiting');
    expect(phaseLabel(trans, 'building')).toBe('Building');
    expect(phaseLabel(trans, 'cancelled')).toBe('Cancelled');
    for (const phase of [
      'queued',
      'fetching',
      'building',
      'pushing',
      'built',
      'failed',
      'cancelled'
    ] as const) {
      expect(PHASE_ICONS[phase]).toBeDefined();
    }
  });

  it('says the connection state in plain words, with a countdown while reconnecting', () => {
    const now = 1_000_000;
    expect(connectionLabel(trans, { status: 'live' }, now)).toBe('Live');
    expect(
      connectionLabel(trans, { status: 'connecting', attempt: 0 }, now)
    ).toBe('Connecting…');
    expect(
      connectionLabel(trans, { status: 'connecting', attempt: 2 }, now)
    ).toBe('Reconnecting…');
    expect(
      connectionLabel(
        trans,
        {
          status: 'reconnecting',
          attempt: 1,
          retryAt: now + 2500,
          reason: 'x'
        },
        now
      )
    ).toBe('Connection lost; reconnecting in 3 s');
    expect(
      connectionLabel(
        trans,
        { status: 'reconnecting', attempt: 1, retryAt: now - 1, reason: 'x' },
        now
      )
    ).toBe('Reconnecting…');
    expect(connectionLabel(trans, { status: 'ended' }, now)).toBe(
      'Log complete'
    );
    expect(
      connectionLabel(
        trans,
        { status: 'error', message: 'Reload JupyterLab' },
        now
      )
    ).toBe('Reload JupyterLab');
  });

  it('formats durations in ms, short and in words', () => {
    expect(formatDuration(0, trans)).toBe('0 s');
    expect(formatDuration(45_999, trans)).toBe('45 s');
    expect(formatDuration(65_432, trans)).toBe('1 min 05 s');
    expect(formatDuration(3_723_000, trans)).toBe('1 h 02 min');
    expect(formatDuration(-5, trans)).toBe('0 s');
    expect(formatDuration(NaN, trans)).toBe('0 s');
  });
});
