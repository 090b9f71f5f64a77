/** Helpers shared by the unit tests: build specs and records without a manager or an engine. */
import { BuildRecord, type BuildSpec } from '../../src/builds/build-record.js';
import type { ValidBuildRequest } from '../../src/builds/validate.js';

let counter = 0;

export function makeSpec(overrides: Partial<BuildSpec> = {}): BuildSpec {
  counter++;
  const id = overrides.id ?? `build${String(counter).padStart(4, '0')}`;
  return {
    id,
    owner: 'alice',
    shared: false,
    repo: 'https://github.com/org/repo',
    ref: 'HEAD',
    commit: '0123456789abcdef0123456789abcdef01234567',
    subdir: null,
    name: 'repo',
    displayName: 'repo',
    image: 'r2d-alice/repo:0123456789abcdef0123456789abcdef01234567',
    push: false,
    private: false,
    buildArgs: {},
    ...overrides
  };
}

export function makeRecord(overrides: Partial<BuildSpec> = {}): BuildRecord {
  return new BuildRecord(makeSpec(overrides));
}

/** A record that went through a few log lines and ended `phase`, with messages of `bytesEach` ASCII bytes. */
export function finishedRecord(
  lines: number,
  bytesEach = 10,
  phase: 'built' | 'failed' | 'cancelled' = 'built',
  overrides: Partial<BuildSpec> = {}
): BuildRecord {
  const record = makeRecord(overrides);
  for (let i = 0; i < lines; i++) {
    record.append('building', 'x'.repeat(bytesEach));
  }
  record.finish(phase, '');
  return record;
}

/** A request as validation hands it to the manager: a public repository at `main`, no options. */
export function makeRequest(
  overrides: Partial<ValidBuildRequest> = {}
): ValidBuildRequest {
  return {
    repo: 'https://example.org/env.git',
    ref: 'main',
    name: null,
    displayName: null,
    push: null,
    subdir: null,
    force: false,
    shared: false,
    credentials: null,
    buildArgs: {},
    ...overrides
  };
}
