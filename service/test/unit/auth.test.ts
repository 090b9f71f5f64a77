import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import type { Identity } from '../../src/auth/identity.js';
import { missingScopes, scopeNames } from '../../src/auth/identity.js';
import {
  bearerToken,
  LocalAuthenticator,
  SECRET_HEADER
} from '../../src/auth/local.js';
import {
  canModify,
  canSee,
  requireModify,
  requirePermission
} from '../../src/auth/policy.js';

const SECRET = 'correct-horse-battery-staple-0123456789';

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof ApiError,
      `expected an ApiError, got ${String(error)}`
    );
    return error;
  }
  assert.fail('expected the request to be refused');
}

describe('LocalAuthenticator', () => {
  const auth = new LocalAuthenticator('jo', SECRET, 'repo2docker');

  it('accepts the secret in X-Repo2docker-Secret', async () => {
    assert.equal(SECRET_HEADER, 'x-repo2docker-secret');
    const identity = await auth.authenticate({
      headers: { [SECRET_HEADER]: SECRET }
    });
    assert.equal(identity.name, 'jo');
  });

  it('accepts the secret as "Authorization: token X" and "Authorization: Bearer X"', async () => {
    for (const value of [
      `token ${SECRET}`,
      `Bearer ${SECRET}`,
      `bearer ${SECRET}`,
      `TOKEN ${SECRET}`,
      `token   ${SECRET}  `
    ]) {
      const identity = await auth.authenticate({
        headers: { authorization: value }
      });
      assert.equal(identity.name, 'jo', value);
    }
  });

  it('takes the first value of a repeated header', async () => {
    const identity = await auth.authenticate({
      headers: { [SECRET_HEADER]: [SECRET, 'other'] }
    });
    assert.equal(identity.name, 'jo');
  });

  it('gives the local user every scope', async () => {
    const identity = await auth.authenticate({
      headers: { authorization: `token ${SECRET}` }
    });
    const names = scopeNames('repo2docker');
    assert.deepEqual(identity.permissions, {
      access: true,
      read: true,
      build: true,
      admin: true
    });
    assert.deepEqual(
      [...identity.scopes].sort(),
      [names.access, names.admin, names.build, names.read].sort()
    );
    assert.ok(identity.scopes.includes('access:services!service=repo2docker'));
    assert.deepEqual(missingScopes(identity, 'repo2docker'), []);
  });

  it('refuses a missing secret with 401', async () => {
    for (const headers of [
      {},
      { authorization: '' },
      { authorization: 'token' },
      { authorization: `Basic ${SECRET}` },
      { cookie: `secret=${SECRET}` }
    ]) {
      const error = await rejection(auth.authenticate({ headers }));
      assert.equal(error.status, 401, JSON.stringify(headers));
    }
  });

  it('refuses a wrong secret with 401, never echoing a secret', async () => {
    const wrong = [
      'wrong',
      '',
      SECRET.slice(0, -1),
      `${SECRET}x`,
      SECRET.toUpperCase(),
      `${SECRET.slice(0, -1)}X`
    ];
    for (const given of wrong) {
      for (const headers of [
        { [SECRET_HEADER]: given },
        { authorization: `token ${given}` },
        { authorization: `Bearer ${given}` }
      ]) {
        const error = await rejection(auth.authenticate({ headers }));
        assert.equal(error.status, 401, JSON.stringify(headers));
        assert.equal(error.code, 'unauthenticated');
        assert.ok(
          !error.message.includes(SECRET),
          'the message holds the secret'
        );
        if (given.length > 3) {
          assert.ok(
            !error.message.includes(given),
            'the message holds what was given'
          );
        }
      }
    }
  });

  it('refuses a secret that looks the same but has other bytes', async () => {
    const unicode = new LocalAuthenticator('jo', 'é', 'repo2docker');
    assert.equal(
      (
        await rejection(
          unicode.authenticate({ headers: { [SECRET_HEADER]: 'e\u0301' } })
        )
      ).status,
      401
    );
    assert.equal(
      (await unicode.authenticate({ headers: { [SECRET_HEADER]: 'é' } })).name,
      'jo'
    );
  });

  it('lets every request through when no secret is configured', async () => {
    const open = new LocalAuthenticator('jo', null, 'r2d');
    const identity = await open.authenticate({ headers: {} });
    assert.equal(identity.name, 'jo');
    assert.ok(identity.scopes.includes('access:services!service=r2d'));
    assert.equal(
      (
        await open.authenticate({
          headers: { authorization: 'token anything' }
        })
      ).name,
      'jo'
    );
  });

  it('bearerToken reads only token and bearer schemes', () => {
    assert.equal(
      bearerToken({ headers: { authorization: 'token abc' } }),
      'abc'
    );
    assert.equal(
      bearerToken({ headers: { authorization: 'Bearer abc' } }),
      'abc'
    );
    assert.equal(
      bearerToken({ headers: { authorization: 'Basic abc' } }),
      undefined
    );
    assert.equal(
      bearerToken({ headers: { authorization: 'token a b' } }),
      undefined
    );
    assert.equal(bearerToken({ headers: {} }), undefined);
  });
});

const identity = (
  name: string,
  permissions: Partial<Identity['permissions']>
): Identity => ({
  name,
  admin: false,
  scopes: [],
  permissions: {
    access: true,
    read: false,
    build: false,
    admin: false,
    ...permissions
  }
});

describe('policy', () => {
  const alice = identity('alice', { read: true, build: true });
  const bob = identity('bob', { read: true, build: true });
  const admin = identity('root', { read: true, build: true, admin: true });
  const reader = identity('dave', { read: true });

  const aliceImage = { owner: 'alice', shared: false };
  const bobImage = { owner: 'bob', shared: false };
  const daveImage = { owner: 'dave', shared: false };
  const sharedByRoot = { owner: 'root', shared: true };
  const sharedByAlice = { owner: 'alice', shared: true };

  it('canSee: own and shared for users, everything for admins', () => {
    const cases: [Identity, { owner: string; shared: boolean }, boolean][] = [
      [alice, aliceImage, true],
      [alice, bobImage, false],
      [alice, sharedByRoot, true],
      [alice, sharedByAlice, true],
      [bob, aliceImage, false],
      [bob, bobImage, true],
      [admin, aliceImage, true],
      [admin, bobImage, true],
      [admin, sharedByRoot, true],
      [reader, daveImage, true],
      [reader, aliceImage, false],
      [reader, sharedByRoot, true]
    ];
    for (const [who, item, expected] of cases) {
      assert.equal(
        canSee(who, item),
        expected,
        `${who.name} sees ${JSON.stringify(item)}`
      );
    }
  });

  it('canModify: the owner with build scope for private items, admins for everything', () => {
    const cases: [Identity, { owner: string; shared: boolean }, boolean][] = [
      [alice, aliceImage, true],
      [alice, bobImage, false],
      [alice, sharedByRoot, false],
      [alice, sharedByAlice, false], // shared images are the admins' to change
      [bob, aliceImage, false],
      [admin, aliceImage, true],
      [admin, bobImage, true],
      [admin, sharedByRoot, true],
      [admin, sharedByAlice, true],
      [reader, daveImage, false], // no build scope: read-only even for own
      [reader, aliceImage, false],
      [reader, sharedByRoot, false]
    ];
    for (const [who, item, expected] of cases) {
      assert.equal(
        canModify(who, item),
        expected,
        `${who.name} modifies ${JSON.stringify(item)}`
      );
    }
  });

  it('compares owners exactly', () => {
    assert.equal(
      canSee(identity('Alice', { read: true, build: true }), aliceImage),
      false
    );
    assert.equal(
      canModify(identity('Alice', { read: true, build: true }), aliceImage),
      false
    );
    assert.equal(
      canModify(identity('alice ', { read: true, build: true }), aliceImage),
      false
    );
  });

  it('requireModify throws 403 for others and passes for the owner', () => {
    assert.doesNotThrow(() => requireModify(alice, aliceImage, 'image'));
    assert.throws(
      () => requireModify(bob, aliceImage, 'image'),
      (error: unknown) =>
        error instanceof ApiError &&
        error.status === 403 &&
        error.code === 'forbidden' &&
        /image/.test(error.message)
    );
    assert.throws(
      () => requireModify(reader, daveImage, 'build'),
      (error: unknown) => error instanceof ApiError && error.status === 403
    );
  });

  it('requirePermission throws 403 naming the missing scope', () => {
    const scope = scopeNames('repo2docker').build;
    assert.doesNotThrow(() => requirePermission(alice, 'build', scope));
    assert.doesNotThrow(() =>
      requirePermission(reader, 'read', scopeNames('repo2docker').read)
    );
    assert.throws(
      () => requirePermission(reader, 'build', scope),
      (error: unknown) =>
        error instanceof ApiError &&
        error.status === 403 &&
        error.code === 'missing_scope' &&
        error.extra.scope === scope &&
        error.message.includes(scope)
    );
    assert.throws(
      () => requirePermission(alice, 'admin', scopeNames('repo2docker').admin),
      (error: unknown) => error instanceof ApiError && error.status === 403
    );
  });

  it('missingScopes lists what a read-only user lacks, with a hint', () => {
    const missing = missingScopes(reader, 'repo2docker');
    assert.deepEqual(
      missing.map(m => [m.grants, m.scope]),
      [['build', 'custom:repo2docker:build']]
    );
    assert.match(missing[0].hint, /oauth_client_allowed_scopes/);
  });
});
