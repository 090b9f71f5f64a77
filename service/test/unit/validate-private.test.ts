/** The build request's `credentials` and `buildArgs`: what passes, and the 400 naming the field for what does not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { validateBuildRequest } from '../../src/builds/validate.js';

const OPTIONS = { allowLocalRepos: false };
const REPO = 'https://git.example.org/team/private.git';

function refusal(body: Record<string, unknown>): {
  field?: string;
  message: string;
} {
  try {
    validateBuildRequest({ repo: REPO, ...body }, OPTIONS);
  } catch (error) {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.status, 400);
    return { field: error.extra.field, message: error.message };
  }
  return assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('validateBuildRequest: credentials', () => {
  it('keeps a username and token, apart from every other field', () => {
    const valid = validateBuildRequest(
      { repo: REPO, credentials: { username: 'alice', password: 'tok en' } },
      OPTIONS
    );
    assert.deepEqual(valid.credentials, {
      username: 'alice',
      password: 'tok en'
    });
  });

  it('refuses each bad part naming it', () => {
    assert.equal(refusal({ credentials: 'alice:tok' }).field, 'credentials');
    assert.equal(
      refusal({ credentials: { username: 'alice' } }).field,
      'credentials.password'
    );
    assert.equal(
      refusal({ credentials: { username: '', password: 'x' } }).field,
      'credentials.username'
    );
    assert.equal(
      refusal({ credentials: { username: 'a', password: 'x\ny' } }).field,
      'credentials.password'
    );
    assert.equal(
      refusal({ credentials: { username: 'a', password: 'x', token: 'y' } })
        .field,
      'credentials.token'
    );
    // In clear text over a network, or to git:// (no authentication at all): refused, naming repo.
    for (const repo of [
      'http://git.example.org/team/private.git',
      'git://git.example.org/team/private.git'
    ]) {
      assert.equal(
        refusal({ repo, credentials: { username: 'a', password: 'x' } }).field,
        'repo'
      );
    }
  });

  it('no refusal message holds the password', () => {
    const secret = 'tok-0123456789abcdef';
    const { message } = refusal({
      repo: 'git://h.example/r',
      credentials: { username: 'a', password: secret }
    });
    assert.ok(!message.includes(secret), message);
  });
});

describe('validateBuildRequest: buildArgs', () => {
  it('keeps them sorted by name; tabs and "-" at the start of a value pass', () => {
    const valid = validateBuildRequest(
      { repo: REPO, buildArgs: { ZED: '-1', A_1: 'tab\there', _x: '' } },
      OPTIONS
    );
    assert.deepEqual(Object.keys(valid.buildArgs), ['A_1', 'ZED', '_x']);
    assert.equal(valid.buildArgs.ZED, '-1');
    assert.deepEqual(
      validateBuildRequest({ repo: REPO }, OPTIONS).buildArgs,
      {}
    );
  });

  it('refuses bad names, values, counts and types naming buildArgs.NAME', () => {
    assert.equal(refusal({ buildArgs: ['A=1'] }).field, 'buildArgs');
    assert.equal(refusal({ buildArgs: { '1A': 'x' } }).field, 'buildArgs.1A');
    assert.equal(refusal({ buildArgs: { 'A-B': 'x' } }).field, 'buildArgs.A-B');
    assert.equal(
      refusal({ buildArgs: { 'A\nB': 'x' } }).field,
      'buildArgs',
      'a control character is not echoed'
    );
    assert.equal(refusal({ buildArgs: { A: 1 } }).field, 'buildArgs.A');
    assert.equal(
      refusal({ buildArgs: { A: 'line\nnext' } }).field,
      'buildArgs.A'
    );
    assert.equal(
      refusal({ buildArgs: { A: 'esc\u001b[31m' } }).field,
      'buildArgs.A'
    );
    assert.equal(
      refusal({ buildArgs: { A: 'x'.repeat(4097) } }).field,
      'buildArgs.A'
    );
    validateBuildRequest(
      { repo: REPO, buildArgs: { A: 'x'.repeat(4096) } },
      OPTIONS
    );
    const many = Object.fromEntries(
      Array.from({ length: 33 }, (_, i) => [`A${i}`, 'x'])
    );
    assert.equal(refusal({ buildArgs: many }).field, 'buildArgs');
    for (const name of ['NB_USER', 'NB_UID', 'REPO_DIR', 'BUILDKIT_SYNTAX']) {
      assert.equal(
        refusal({ buildArgs: { [name]: 'x' } }).field,
        `buildArgs.${name}`
      );
    }
  });
});
