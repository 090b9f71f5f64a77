/**
 * custom:repo2docker:read-all, the spawner helper's scope: it sees everyone's images and builds
 * and changes nothing. Identities as the hub reports them (read-all expands to include read).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromHub } from '../../src/auth/jupyterhub.js';
import { READ_ALL_SCOPE, canModify, canSee } from '../../src/auth/policy.js';
import { ACCESS, READ } from '../helpers/scopes.js';

describe('the read-all scope', () => {
  const spawner = identityFromHub(
    {
      kind: 'service',
      name: 'repo2docker-spawner',
      scopes: [ACCESS, READ_ALL_SCOPE, READ]
    },
    'repo2docker'
  );
  const reader = identityFromHub(
    { kind: 'user', name: 'bob', scopes: [ACCESS, READ] },
    'repo2docker'
  );
  const alicePrivate = { owner: 'alice', shared: false };

  it('sees another owner’s private item, where a plain reader does not', () => {
    assert.equal(canSee(spawner, alicePrivate), true);
    assert.equal(canSee(reader, alicePrivate), false);
  });

  it('grants read, and neither build nor admin nor any change', () => {
    assert.deepEqual(spawner.permissions, {
      access: true,
      read: true,
      build: false,
      admin: false
    });
    assert.equal(canModify(spawner, alicePrivate), false);
    assert.equal(
      canModify(spawner, {
        owner: 'service/repo2docker-spawner',
        shared: false
      }),
      false
    );
  });
});
