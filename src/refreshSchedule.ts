/**
 * When the Environments panel refreshes next, on `@lumino/polling`'s `Poll`: the poll owns the
 * timer and stands by while the page is hidden (no requests from a background tab); this class
 * chooses each next interval, for the backoff after a failure is the panel's own: 2, 4, 8 s… up
 * to the idle interval, so that the lists re-sync as soon as the service is back (Poll's own
 * backoff is randomised between the interval and a multiple of the last one, not from 2 s).
 */

import { Poll } from '@lumino/polling';

/** Default seconds between refreshes while builds are active. */
export const DEFAULT_REFRESH_INTERVAL = 3;

/** How much slower the panel refreshes when no build is active (and at least how many seconds). */
const IDLE_FACTOR = 10;
const MIN_IDLE_INTERVAL = 30;

/** First retry (s) after a failed refresh; doubles up to the idle interval. */
const FIRST_RETRY = 2;

/** What the last refresh found, which decides when the next one runs. */
export interface IRefreshOutcome {
  /** Whether any build is running. */
  active: boolean;
  /** Refreshes that failed in a row (0 after a good one). */
  failures: number;
  /** Wait for the user (a 401, or the service stayed away too long): no automatic refresh. */
  waitForUser: boolean;
}

export class RefreshSchedule {
  /** `refresh` runs at each tick (and may be called directly, between ticks). */
  constructor(options: { refresh: () => Promise<void>; interval?: number }) {
    this._interval = sanitizeInterval(options.interval);
    this._refresh = options.refresh;
    this._poll = new Poll({
      auto: false,
      name: 'jupyterlab-repo2docker:environments',
      factory: () => this._refresh(),
      frequency: this._frequency(),
      standby: 'when-hidden'
    });
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', this._onVisibilityChange);
    }
  }

  /** Seconds between refreshes while builds are active. */
  get interval(): number {
    return this._interval;
  }
  set interval(value: number) {
    this._interval = sanitizeInterval(value);
    this._poll.frequency = this._frequency();
  }

  /** Seconds between refreshes when nothing is active. */
  get idleInterval(): number {
    return Math.max(this._interval * IDLE_FACTOR, MIN_IDLE_INTERVAL);
  }

  /** Whether ticks are scheduled at all (between `start` and `stop`). */
  get started(): boolean {
    return this._started;
  }

  start(): void {
    this._started = true;
  }

  stop(): void {
    this._started = false;
    void this._poll.stop();
  }

  /** Hold the ticks while a refresh runs (`after` schedules the next when it ends). */
  pause(): void {
    if (this._started && !this._poll.isDisposed) {
      void this._poll.schedule({ interval: Poll.NEVER, phase: 'refreshed' });
    }
  }

  /** Schedule the next tick after a refresh that found `outcome`. */
  after(outcome: IRefreshOutcome): void {
    if (!this._started || this._poll.isDisposed) {
      return;
    }
    const seconds = this.nextDelay(outcome);
    void this._poll.schedule({
      interval: seconds === null ? Poll.NEVER : seconds * 1000,
      phase: outcome.failures === 0 ? 'resolved' : 'rejected'
    });
  }

  /** Seconds until the next refresh after `outcome`, `null` to wait for the user. */
  nextDelay(outcome: IRefreshOutcome): number | null {
    if (outcome.waitForUser) {
      return null;
    }
    if (outcome.failures > 0) {
      // The service is away (restarting, most likely): look again soon, then less and less often.
      return Math.min(
        this.idleInterval,
        FIRST_RETRY * 2 ** (outcome.failures - 1)
      );
    }
    return outcome.active ? this._interval : this.idleInterval;
  }

  dispose(): void {
    this._poll.dispose();
    if (typeof document !== 'undefined') {
      document.removeEventListener(
        'visibilitychange',
        this._onVisibilityChange
      );
    }
  }

  /** The poll's frequency: how often a standby tick (page hidden) looks again. */
  private _frequency(): { interval: number; max: number; backoff: boolean } {
    const idle = this.idleInterval * 1000;
    return { interval: idle, max: idle, backoff: false };
  }

  /** Back on the page after standing by: refresh now rather than at the next tick. */
  private _onVisibilityChange = (): void => {
    if (
      this._started &&
      document.visibilityState === 'visible' &&
      this._poll.state.phase === 'standby'
    ) {
      void this._refresh();
    }
  };

  private _interval: number;
  private _refresh: () => Promise<void>;
  private _poll: Poll<void, unknown, 'standby'>;
  private _started = false;
}

function sanitizeInterval(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1
    ? value
    : DEFAULT_REFRESH_INTERVAL;
}
