/** Caps on open log streams, per user and in all. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TooManyRequests } from '../../src/auth/failure-limiter.js';
import { StreamLimits } from '../../src/http/stream-limits.js';

describe('StreamLimits', () => {
  it('refuses a user past their cap with 429 and Retry-After, and takes them back on release', () => {
    const limits = new StreamLimits({ perUser: 2, total: 10 });
    const first = limits.acquire('alice');
    limits.acquire('alice');
    assert.throws(
      () => limits.acquire('alice'),
      (error: TooManyRequests) =>
        error.status === 429 &&
        error.code === 'too_many_streams' &&
        error.retryAfterSeconds > 0 &&
        /limit 2/.test(error.message)
    );
    assert.doesNotThrow(
      () => limits.acquire('bob'),
      "another user's streams are not alice's"
    );
    first();
    first(); // a second release gives back nothing more
    assert.equal(limits.countOf('alice'), 1);
    assert.doesNotThrow(() => limits.acquire('alice'));
    assert.throws(() => limits.acquire('alice'), TooManyRequests);
  });

  it('refuses everyone past the total cap', () => {
    const limits = new StreamLimits({ perUser: 5, total: 3 });
    const releases = ['a', 'b', 'c'].map(user => limits.acquire(user));
    assert.throws(
      () => limits.acquire('d'),
      (error: TooManyRequests) =>
        error.status === 429 &&
        /service has 3 log streams open/.test(error.message)
    );
    releases[1]();
    assert.equal(limits.openCount, 2);
    assert.doesNotThrow(() => limits.acquire('d'));
  });
});
