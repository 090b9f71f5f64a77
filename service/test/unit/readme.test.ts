/** README.md's configuration reference is generated from the code; this keeps it so. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderConfigReference } from '../../src/config.js';

describe('README.md', () => {
  it('carries the configuration reference that `repo2docker-service --help-config` prints', () => {
    const readme = readFileSync(
      new URL('../../../README.md', import.meta.url),
      'utf8'
    );
    const match =
      /<!-- config-reference:start -->\n([\s\S]*?)<!-- config-reference:end -->/.exec(
        readme
      );
    assert.ok(match, 'README.md has the config-reference markers');
    assert.equal(
      match[1],
      renderConfigReference(),
      'regenerate with: node --import tsx service/src/main.ts --help-config'
    );
  });
});
