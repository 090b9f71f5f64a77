/**
 * The contract is one module with values (src/api/contract.ts) that the service, its page and the
 * extension all import: the package exports its compiled JavaScript and declarations (dist/api/).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  BUILD_PHASES,
  ERROR_CODES,
  FINAL_PHASES,
  isFinalPhase
} from '../../src/api/contract.js';

const SOURCE = new URL('../../src/api/contract.ts', import.meta.url);

describe('the contract module', () => {
  it('imports nothing, so the service, its page and the extension can all compile it', () => {
    assert.doesNotMatch(
      readFileSync(SOURCE, 'utf8'),
      /^\s*(import|export .* from)\s/m
    );
  });

  it('lists final phases among the phases, last, and every error code with a 4xx/5xx status', () => {
    assert.deepEqual(BUILD_PHASES.slice(-FINAL_PHASES.length), [
      ...FINAL_PHASES
    ]);
    assert.ok(
      BUILD_PHASES.every(
        phase =>
          isFinalPhase(phase) ===
          (FINAL_PHASES as readonly string[]).includes(phase)
      )
    );
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(status >= 400 && status < 600, code);
    }
  });
});
