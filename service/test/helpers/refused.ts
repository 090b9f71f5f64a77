/** For the unit tests of pure checks: which field a 400 names. */
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';

/** Runs `fn`, which must throw a 400 ApiError, and answers the field it names. */
export function refusedField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    return error.extra.field;
  }
  assert.fail('expected a 400, not accepted');
}
