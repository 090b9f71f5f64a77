/** The per-client limit on failed authentication, and which address counts as the client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientAddress,
  FailureLimiter,
  TooManyRequests
} from '../../src/auth/failure-limiter.js';

const refused = new Error('refused');
const isRefused = (error: unknown): boolean => error === refused;

describe('FailureLimiter', () => {
  it('lets a client fail maxFailures times in a window, then answers 429 with the seconds left', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter(
      { maxFailures: 3, windowSeconds: 60 },
      () => now
    );
    for (let i = 0; i < 3; i++) {
      limiter.check('10.0.0.1');
      limiter.fail('10.0.0.1');
    }
    now += 15_000;
    assert.throws(
      () => limiter.check('10.0.0.1'),
      (error: TooManyRequests) =>
        error.status === 429 &&
        error.code === 'too_many_failures' &&
        error.retryAfterSeconds === 45
    );
    assert.doesNotThrow(
      () => limiter.check('10.0.0.2'),
      'another client is not throttled'
    );
    now += 45_000;
    assert.doesNotThrow(
      () => limiter.check('10.0.0.1'),
      'a new window starts afresh'
    );
  });

  it('counts lookups under way, so a concurrent burst cannot pass before the first one fails', async () => {
    const limiter = new FailureLimiter({ maxFailures: 5, windowSeconds: 60 });
    let lookups = 0;
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    const attempts = Array.from({ length: 50 }, () =>
      limiter.guard(
        'client',
        async () => {
          lookups++;
          await gate;
          throw refused;
        },
        isRefused
      )
    );
    release();
    const results = await Promise.allSettled(attempts);
    assert.equal(lookups, 5, 'only maxFailures lookups ran');
    const limited = results.filter(
      r => r.status === 'rejected' && r.reason instanceof TooManyRequests
    ).length;
    assert.equal(limited, 45);
    await assert.rejects(
      limiter.guard('client', async () => 'ok', isRefused),
      TooManyRequests,
      'the failures were counted'
    );
  });

  it('does not count successes, nor errors that are not refusals (a hub that is down)', async () => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowSeconds: 60 });
    for (let i = 0; i < 10; i++) {
      assert.equal(await limiter.guard('c', async () => 'ok', isRefused), 'ok');
      await assert.rejects(
        limiter.guard(
          'c',
          async () => Promise.reject(new Error('hub down')),
          isRefused
        ),
        /hub down/
      );
    }
    assert.equal(limiter.retryAfter('c'), 0);
  });

  it('remembers at most maxClients clients', () => {
    const limiter = new FailureLimiter({
      maxFailures: 1,
      windowSeconds: 60,
      maxClients: 3
    });
    for (const client of ['a', 'b', 'c', 'd']) {
      limiter.fail(client);
    }
    assert.equal(limiter.retryAfter('a'), 0, 'the oldest was forgotten');
    assert.ok(limiter.retryAfter('d') > 0);
  });
});

describe('clientAddress', () => {
  const trusted = ['127.0.0.1', '::1'];

  it('behind a trusted proxy, is the last X-Forwarded-For entry (the one the proxy added)', () => {
    assert.equal(
      clientAddress('127.0.0.1', '203.0.113.9', trusted),
      '203.0.113.9'
    );
    // configurable-http-proxy appends with a comma; what the client claimed before is ignored
    assert.equal(
      clientAddress('127.0.0.1', '1.2.3.4,203.0.113.9', trusted),
      '203.0.113.9'
    );
    assert.equal(
      clientAddress('::ffff:127.0.0.1', '1.2.3.4, 203.0.113.9', trusted),
      '203.0.113.9'
    );
    assert.equal(
      clientAddress('::1', '::ffff:198.51.100.7', trusted),
      '198.51.100.7'
    );
  });

  it('is the peer itself when the peer is not a trusted proxy, whatever it claims', () => {
    assert.equal(
      clientAddress('198.51.100.7', '127.0.0.1', trusted),
      '198.51.100.7'
    );
    assert.equal(
      clientAddress('127.0.0.1', '203.0.113.9', []),
      '127.0.0.1',
      'no trusted proxies: the peer'
    );
    assert.equal(clientAddress('127.0.0.1', undefined, trusted), '127.0.0.1');
    assert.equal(clientAddress('127.0.0.1', '', trusted), '127.0.0.1');
    assert.equal(
      clientAddress('10.1.1.1', '9.9.9.9', ['10.1.1.1']),
      '9.9.9.9',
      'a configured proxy address'
    );
  });

  it('names unix-socket callers as one client', () => {
    assert.equal(
      clientAddress(undefined, '203.0.113.9', trusted),
      'unix-socket'
    );
  });
});
