/**
 * Failed authentication, rate-limited per client address: each failed token check may cost a
 * call to the hub, so a client that keeps sending bad tokens is answered 429 (with Retry-After)
 * without asking the hub, until its window has passed. Lookups still under way count against
 * the limit too, so a burst of concurrent bad tokens cannot slip past it before the first fails.
 *
 * Which address is "the client": behind the hub, every request comes from configurable-http-proxy,
 * so the peer address alone would let one attacker throttle everyone behind the proxy. The proxy
 * appends the address it saw to `X-Forwarded-For` (http-proxy's `xfwd`, on by default in CHP), so
 * when the peer is a trusted proxy (default: `127.0.0.1` and `::1`, where the hub runs its proxy) the LAST entry
 * of that header is the client; any earlier entries are the client's own claims and are ignored.
 * A peer that is not a trusted proxy is itself the client, whatever headers it sends. Limit: a
 * process that reaches the service directly from a trusted address can choose its own key; set
 * `auth.trustedProxies` to the proxy's address only when other local processes are not trusted.
 */
import type { ErrorCode } from '../api/contract.js';
import { ApiError } from '../api/errors.js';

export interface FailureLimit {
  /** Failures (and lookups under way) allowed per client in one window. */
  maxFailures: number;
  windowSeconds: number;
  /** Clients remembered at most; the oldest window is forgotten first (bounded memory). */
  maxClients?: number;
}

/** A 429 that says when to come back; app.ts turns `retryAfterSeconds` into `Retry-After`. */
export class TooManyRequests extends ApiError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly retryAfterSeconds: number
  ) {
    super(429, code, message);
  }
}

interface Window {
  start: number;
  failures: number;
}

export class FailureLimiter {
  private readonly clients = new Map<string, Window>();
  /** Lookups under way per client (apart from the windows: a lookup may outlive its window). */
  private readonly pending = new Map<string, number>();
  private readonly maxClients: number;

  constructor(
    private readonly limit: FailureLimit,
    private readonly now: () => number = Date.now
  ) {
    this.maxClients = limit.maxClients ?? 10_000;
  }

  private window(client: string): Window {
    const now = this.now();
    let window = this.clients.get(client);
    if (!window || now - window.start >= this.limit.windowSeconds * 1000) {
      window = { start: now, failures: 0 };
      this.clients.delete(client); // re-insert at the end: the map's order is the eviction order
      this.clients.set(client, window);
      while (this.clients.size > this.maxClients) {
        this.clients.delete(this.clients.keys().next().value as string);
      }
    }
    return window;
  }

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string): number {
    const window = this.window(client);
    if (
      window.failures + (this.pending.get(client) ?? 0) <
      this.limit.maxFailures
    ) {
      return 0;
    }
    return Math.max(
      1,
      Math.ceil(
        (window.start + this.limit.windowSeconds * 1000 - this.now()) / 1000
      )
    );
  }

  /** Throw 429 if `client` is over its limit. */
  check(client: string): void {
    const seconds = this.retryAfter(client);
    if (seconds > 0) {
      throw new TooManyRequests(
        'too_many_failures',
        `too many failed authentications from your address (limit ${this.limit.maxFailures} in ${this.limit.windowSeconds} s); try again in ${seconds} s`,
        seconds
      );
    }
  }

  /** A failed authentication that cost nothing to find out (e.g. from the refused-token cache). */
  fail(client: string): void {
    this.window(client).failures++;
  }

  /**
   * Run a lookup for `client` under the limit: throws 429 when over it; counts the lookup while
   * it runs, and as a failure when `failed(error)` says so.
   */
  async guard<T>(
    client: string,
    lookup: () => Promise<T>,
    failed: (error: unknown) => boolean
  ): Promise<T> {
    this.check(client);
    this.pending.set(client, (this.pending.get(client) ?? 0) + 1);
    try {
      return await lookup();
    } catch (error) {
      if (failed(error)) {
        this.window(client).failures++;
      }
      throw error;
    } finally {
      const left = (this.pending.get(client) ?? 1) - 1;
      if (left > 0) {
        this.pending.set(client, left);
      } else {
        this.pending.delete(client);
      }
    }
  }
}

/** `::ffff:127.0.0.1` is the IPv4 address 127.0.0.1 on a dual-stack socket. */
function normalise(address: string): string {
  const trimmed = address.trim().replace(/^\[|\]$/g, '');
  return trimmed.toLowerCase().startsWith('::ffff:') && trimmed.includes('.')
    ? trimmed.slice(7)
    : trimmed;
}

function isTrusted(peer: string, trustedProxies: string[]): boolean {
  return trustedProxies.some(proxy => normalise(proxy) === peer);
}

/**
 * The client's address for rate limiting (see the file comment). `peer` is the socket's remote
 * address (undefined on a unix socket, where the file mode already limits who can connect).
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: string[]
): string {
  if (peer === undefined || peer === '') {
    return 'unix-socket';
  }
  const address = normalise(peer);
  const header = Array.isArray(forwardedFor)
    ? forwardedFor.join(',')
    : forwardedFor;
  if (header && isTrusted(address, trustedProxies)) {
    const last = header.split(',').at(-1)!.trim();
    if (last !== '') {
      return normalise(last);
    }
  }
  return address;
}
