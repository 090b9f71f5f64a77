/** Build arguments and credentials in repo2docker's argv: the args as one `--build-arg=` element each, the credentials never. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  repo2dockerArgs,
  type Repo2DockerJob
} from '../../src/backends/repo2docker-run.js';

const job: Repo2DockerJob = {
  buildId: 'b1',
  repo: 'https://git.example.org/team/env.git',
  commit: 'c'.repeat(40),
  subdir: null,
  image: 'r2d-alice/env:build-b1',
  labels: {},
  push: false,
  buildArgs: { A: '-x --push', B: 'two words' },
  credentials: { username: 'alice', password: 'tok-secret-123' }
};

describe('repo2dockerArgs: build arguments', () => {
  it('one --build-arg=NAME=value element each, before "--" and the checkout; no credential', () => {
    const args = repo2dockerArgs(
      job,
      {
        command: ['repo2docker'],
        configFile: null,
        userId: 1000,
        userName: 'jovyan',
        secretEnv: []
      },
      '/tmp/co'
    );
    assert.ok(args.includes('--build-arg=A=-x --push'));
    assert.ok(args.includes('--build-arg=B=two words'));
    assert.ok(
      !args.includes('--push'),
      'a value is never an option of its own'
    );
    assert.ok(args.indexOf('--build-arg=B=two words') < args.indexOf('--'));
    assert.deepEqual(args.slice(-2), ['--', '/tmp/co']);
    assert.ok(!args.join(' ').includes('tok-secret-123'));
  });
});
