/**
 * The permission rules the panel shows controls by, written once (src/permissions.ts) and the same
 * as the service's (service/src/auth/policy.ts: `canModify` for cancel and delete).
 */
import type { Info } from '@jupyterlab-repo2docker/service/contract';
import {
  canBuild,
  canCancel,
  canDelete,
  canModify,
  canRead,
  canRebuild,
  canShare
} from '../permissions';
import { makeBuild, makeImage, makeInfo } from './fakes';

const user = (
  name: string,
  p: Partial<Info['user']['permissions']>
): Info['user'] =>
  makeInfo({
    name,
    permissions: { access: true, read: false, build: false, admin: false, ...p }
  }).user;

const alice = user('alice', { read: true, build: true });
const reader = user('alice', { read: true });
const admin = user('root', { read: true, build: true, admin: true });
const adminOnly = user('root', { admin: true });

describe('permissions', () => {
  it('allows nothing before the info is loaded', () => {
    const image = makeImage();
    expect(canRead(null)).toBe(false);
    expect(canBuild(undefined)).toBe(false);
    expect(canShare(null)).toBe(false);
    expect(canModify(null, image)).toBe(false);
    expect(canRebuild(null, image)).toBe(false);
  });

  it('reads with read or admin, builds with build, shares as admin', () => {
    expect([alice, reader, admin, adminOnly].map(canRead)).toEqual([
      true,
      true,
      true,
      true
    ]);
    expect(canRead(user('x', {}))).toBe(false);
    expect([alice, reader, admin].map(canBuild)).toEqual([true, false, true]);
    expect([alice, admin].map(canShare)).toEqual([false, true]);
  });

  it('lets the owner with build, or an admin, change what is not shared; shared: admins only', () => {
    const own = { owner: 'alice', shared: false };
    const others = { owner: 'bob', shared: false };
    const shared = { owner: 'alice', shared: true };
    expect([own, others, shared].map(item => canModify(alice, item))).toEqual([
      true,
      false,
      false
    ]);
    expect(canModify(reader, own)).toBe(false);
    expect(
      [own, others, shared].map(item => canModify(adminOnly, item))
    ).toEqual([true, true, true]);
  });

  it('cancels only running builds, by the same rule', () => {
    const build = makeBuild({ owner: 'alice' });
    expect(canCancel(alice, build, false)).toBe(true);
    expect(canCancel(alice, build, true)).toBe(false);
    expect(canCancel(user('bob', { build: true }), build, false)).toBe(false);
    expect(canCancel(admin, build, false)).toBe(true);
    expect(canDelete(alice, makeImage({ owner: 'alice', shared: false }))).toBe(
      true
    );
    expect(canDelete(alice, makeImage({ owner: 'alice', shared: true }))).toBe(
      false
    );
  });

  it('rebuilds into the image namespace: own images with build, shared ones as an admin who builds', () => {
    expect(
      canRebuild(alice, makeImage({ owner: 'alice', shared: false }))
    ).toBe(true);
    expect(canRebuild(alice, makeImage({ owner: 'bob', shared: false }))).toBe(
      false
    );
    expect(canRebuild(alice, makeImage({ owner: 'root', shared: true }))).toBe(
      false
    );
    expect(canRebuild(admin, makeImage({ owner: 'root', shared: true }))).toBe(
      true
    );
    // An admin without build cannot start a build at all.
    expect(
      canRebuild(adminOnly, makeImage({ owner: 'root', shared: true }))
    ).toBe(false);
    expect(
      canRebuild(reader, makeImage({ owner: 'alice', shared: false }))
    ).toBe(false);
  });
});
