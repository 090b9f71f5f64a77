/**
 * Open log streams, counted per user and in all: each holds a socket, a cursor and a heartbeat
 * timer for as long as the client likes, so both are capped (`logs.maxStreamsPerUser`,
 * `logs.maxStreams`). Past a cap the request gets 429 with Retry-After before anything is
 * streamed; closing a stream gives its place back.
 */
import { TooManyRequests } from '../auth/failure-limiter.js';

export interface StreamCaps {
  perUser: number;
  total: number;
  /** What Retry-After says (seconds); streams last long, so this is a guess. Default 10. */
  retryAfterSeconds?: number;
}

export class StreamLimits {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(private readonly caps: StreamCaps) {}

  get openCount(): number {
    return this.total;
  }

  countOf(user: string): number {
    return this.open.get(user) ?? 0;
  }

  /**
   * Take a place for one stream of `user`, or throw 429. Returns the function that gives it back;
   * calling that more than once gives it back once.
   */
  acquire(user: string): () => void {
    const retry = this.caps.retryAfterSeconds ?? 10;
    const mine = this.countOf(user);
    if (mine >= this.caps.perUser) {
      throw new TooManyRequests(
        'too_many_streams',
        `you already have ${mine} log streams open (limit ${this.caps.perUser}); close one (a log tab) and try again`,
        retry
      );
    }
    if (this.total >= this.caps.total) {
      throw new TooManyRequests(
        'too_many_streams',
        `the service has ${this.total} log streams open, its limit; try again later`,
        retry
      );
    }
    this.open.set(user, mine + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) {
        return;
      }
      released = true;
      this.total--;
      const left = this.countOf(user) - 1;
      if (left > 0) {
        this.open.set(user, left);
      } else {
        this.open.delete(user);
      }
    };
  }
}
