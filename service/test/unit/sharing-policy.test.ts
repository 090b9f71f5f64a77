/**
 * The one sharing rule (auth/policy.ts `usableBy`) and what is built on it: who sees an image,
 * who may change its sharing, with which groups, and what a read-all token may ask for others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sharing } from '../../src/api/contract.js';
import { groupsOf, identityFromHub } from '../../src/auth/jupyterhub.js';
import {
  canAskForOthers,
  canModify,
  canSee,
  groupsNotAllowed,
  READ_ALL_SCOPE,
  sharedVia,
  usableBy
} from '../../src/auth/policy.js';
import { ACCESS, READ, BUILD, ADMIN } from '../helpers/scopes.js';

const user = (name: string, groups: string[], scopes = [ACCESS, BUILD]) =>
  identityFromHub({ kind: 'user', name, scopes, groups }, 'repo2docker');

const alice = user('alice', ['course-101', 'staff']);
const bob = user('bob', ['course-101'], [ACCESS, READ]);
const dave = user('dave', ['other'], [ACCESS, BUILD]);
const admin = user('admin', [], [ACCESS, ADMIN]);
const spawner = identityFromHub(
  { kind: 'service', name: 'spawner', scopes: [ACCESS, READ, READ_ALL_SCOPE] },
  'repo2docker'
);

const image = (sharing?: Sharing, owner = 'alice', shared = false) => ({
  owner,
  shared,
  sharing
});
const ownerOnly = image({ visibility: 'owner', groups: [] });
const course = image({ visibility: 'groups', groups: ['course-101'] });
const everyone = image({ visibility: 'everyone', groups: [] });

describe('sharing policy', () => {
  it('lets the owner see an owner-only image, and nobody else but admins and read-all', () => {
    assert.equal(canSee(alice, ownerOnly), true);
    assert.equal(canSee(bob, ownerOnly), false);
    assert.equal(canSee(dave, ownerOnly), false);
    assert.equal(canSee(admin, ownerOnly), true);
    assert.equal(canSee(spawner, ownerOnly), true);
    // A build whose image is gone has no sharing: owner-only.
    assert.equal(canSee(bob, image(undefined)), false);
  });

  it('shares with members of the chosen groups only, and with everyone for "everyone"', () => {
    assert.equal(canSee(bob, course), true);
    assert.equal(canSee(dave, course), false);
    assert.equal(canSee(dave, everyone), true);
    assert.equal(canSee(bob, everyone), true);
    assert.deepEqual(sharedVia(bob, course), ['course-101']);
    assert.deepEqual(sharedVia(alice, course), []); // her own
    assert.deepEqual(sharedVia(bob, everyone), []);
  });

  it('answers the spawner’s question about a user by the same rule', () => {
    assert.equal(
      usableBy({ name: 'bob', groups: ['course-101'] }, course),
      true
    );
    assert.equal(usableBy({ name: 'bob', groups: [] }, course), false);
    assert.equal(usableBy({ name: 'dave', groups: ['other'] }, course), false);
    assert.equal(usableBy({ name: 'dave' }, everyone), true);
    assert.equal(usableBy({ name: 'dave' }, ownerOnly), false);
    assert.equal(usableBy({ name: 'alice' }, ownerOnly), true);
    assert.equal(
      usableBy({ name: 'dave' }, image(undefined, 'admin', true)),
      true
    );
    assert.equal(canAskForOthers(spawner), true);
    assert.equal(canAskForOthers(admin), true);
    assert.equal(canAskForOthers(bob), false);
    assert.equal(canAskForOthers(alice), false);
  });

  it('leaves changes to the owner (with build) and admins, never those it is shared with', () => {
    assert.equal(canModify(alice, course), true);
    assert.equal(canModify(bob, course), false);
    assert.equal(canModify(dave, everyone), false);
    assert.equal(canModify(admin, course), true);
    assert.equal(canModify(spawner, everyone), false);
  });

  it('allows the owner’s own groups only; an admin may keep or narrow the owner’s choice', () => {
    assert.deepEqual(
      groupsNotAllowed(alice, ownerOnly, ['course-101', 'staff']),
      []
    );
    assert.deepEqual(
      groupsNotAllowed(alice, ownerOnly, ['course-101', 'other']),
      ['other']
    );
    assert.deepEqual(groupsNotAllowed(admin, course, ['course-101']), []);
    assert.deepEqual(groupsNotAllowed(admin, course, ['staff']), ['staff']);
    assert.deepEqual(groupsNotAllowed(admin, ownerOnly, ['course-101']), [
      'course-101'
    ]);
  });

  it('takes groups from the hub’s user model: names only, none for services or odd answers', () => {
    assert.deepEqual(alice.groups, ['course-101', 'staff']);
    assert.deepEqual(
      groupsOf({ kind: 'user', groups: ['b', 'a', 'a', 3, ''] }),
      ['a', 'b']
    );
    assert.deepEqual(groupsOf({ kind: 'user', groups: 'course-101' }), []);
    assert.deepEqual(groupsOf({ kind: 'user' }), []);
    assert.deepEqual(groupsOf({ kind: 'service', groups: ['course-101'] }), []);
  });
});
