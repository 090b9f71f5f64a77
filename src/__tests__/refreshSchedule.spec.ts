/**
 * When the panel refreshes next: the backoff after failures (2, 4, 8 s… up to the idle
 * interval), fast while builds run, never while it waits for the user.
 */
import { RefreshSchedule } from '../refreshSchedule';

describe('RefreshSchedule', () => {
  let schedule: RefreshSchedule;
  afterEach(() => schedule.dispose());

  it('retries 2, 4, 8 s… after failures, up to the idle interval', () => {
    schedule = new RefreshSchedule({
      refresh: async () => undefined,
      interval: 3
    });
    expect(schedule.idleInterval).toBe(30);
    const delays = [1, 2, 3, 4, 5, 6, 7].map(failures =>
      schedule.nextDelay({ active: true, failures, waitForUser: false })
    );
    expect(delays).toEqual([2, 4, 8, 16, 30, 30, 30]);
  });

  it('refreshes at the interval while builds run, ten times slower (30 s at least) when idle', () => {
    schedule = new RefreshSchedule({
      refresh: async () => undefined,
      interval: 5
    });
    expect(
      schedule.nextDelay({ active: true, failures: 0, waitForUser: false })
    ).toBe(5);
    expect(
      schedule.nextDelay({ active: false, failures: 0, waitForUser: false })
    ).toBe(50);
    schedule.interval = 0; // not a valid interval: the default
    expect(schedule.interval).toBe(3);
    expect(
      schedule.nextDelay({ active: false, failures: 0, waitForUser: false })
    ).toBe(30);
  });

  it('schedules nothing while it waits for the user, nor before start or after stop', async () => {
    jest.useFakeTimers();
    try {
      const refresh = jest.fn(async () => undefined);
      schedule = new RefreshSchedule({ refresh, interval: 2 });
      schedule.after({ active: true, failures: 0, waitForUser: false });
      await jest.advanceTimersByTimeAsync(10_000);
      expect(refresh).not.toHaveBeenCalled(); // not started

      schedule.start();
      schedule.after({ active: true, failures: 0, waitForUser: false });
      await jest.advanceTimersByTimeAsync(2_100);
      expect(refresh).toHaveBeenCalledTimes(1);

      schedule.after({ active: true, failures: 3, waitForUser: true });
      await jest.advanceTimersByTimeAsync(60 * 60_000);
      expect(refresh).toHaveBeenCalledTimes(1);
      expect(
        schedule.nextDelay({ active: true, failures: 3, waitForUser: true })
      ).toBeNull();

      schedule.after({ active: true, failures: 0, waitForUser: false });
      schedule.stop();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(refresh).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
