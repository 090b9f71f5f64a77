/**
 * Sharing through the real Fastify app (inject), with fakes at the boundary: the hub identity
 * (an authenticator answering per token) and the Docker engine (dockerode's build API, whose
 * `labels` the fake applies to its image as the engine would). Covers PUT .../sharing, the list
 * for users and for the spawner's `usableBy` question, builds and logs behind a shared image,
 * delete, and /api/info's groups.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Image } from '../../src/api/contract.js';
import { ApiError } from '../../src/api/errors.js';
import { createService, type Service } from '../../src/app.js';
import type { Authenticator } from '../../src/auth/identity.js';
import { identityFromHub } from '../../src/auth/jupyterhub.js';
import { READ_ALL_SCOPE } from '../../src/auth/policy.js';
import type { DockerEngine } from '../../src/docker/engine.js';
import {
  fromLabels,
  LABEL,
  toImage,
  toLabels
} from '../../src/images/labels.js';
import { finishedRecord } from '../helpers/unit-builds.js';
import { ACCESS, READ, BUILD, ADMIN } from '../helpers/scopes.js';
import { PREFIX, unitConfig } from '../helpers/unit-config.js';

const HUB_USERS: Record<string, object> = {
  alice: {
    kind: 'user',
    name: 'alice',
    groups: ['course-101', 'staff'],
    scopes: [ACCESS, BUILD]
  },
  bob: {
    kind: 'user',
    name: 'bob',
    groups: ['course-101'],
    scopes: [ACCESS, READ]
  },
  dave: { kind: 'user', name: 'dave', groups: [], scopes: [ACCESS, BUILD] },
  admin: { kind: 'user', name: 'admin', groups: [], scopes: [ACCESS, ADMIN] },
  spawner: {
    kind: 'service',
    name: 'spawner',
    scopes: [ACCESS, READ, READ_ALL_SCOPE]
  }
};

const fakeAuth: Authenticator = {
  mode: 'jupyterhub',
  async authenticate(request) {
    const user = /^token (\w+)$/.exec(
      String(request.headers.authorization)
    )?.[1];
    if (!user || !HUB_USERS[user])
      throw new ApiError(401, 'unauthenticated', 'no');
    return identityFromHub(HUB_USERS[user], 'repo2docker');
  }
};

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const NAME = `r2d-alice/course:${COMMIT}`;

/** The engine at dockerode's boundary: images by tag, and the build API re-labelling them. */
class FakeEngine {
  images = new Map<string, { id: string; labels: Record<string, string> }>();
  builds: {
    dockerfile: string;
    options: Record<string, unknown>;
    removedBefore: string[];
  }[] = [];
  /** Image references removed, in order (digest references a push left). */
  removed: string[] = [];
  digests = new Map<string, string[]>();
  private ids = 0;
  /** ONBUILD triggers by image name (a Dockerfile's `ONBUILD RUN …`). */
  onBuild = new Map<string, string[]>();
  readonly docker = {
    getImage: (name: string) => ({
      remove: async () => {
        this.removed.push(name);
      },
      inspect: async () => ({
        Id: this.images.get(name)?.id,
        RepoDigests: this.digests.get(name) ?? [],
        Config: {
          Labels: this.images.get(name)?.labels,
          OnBuild: this.onBuild.get(name) ?? null
        }
      })
    }),
    buildImage: async (context: Readable, options: Record<string, unknown>) => {
      await this.build(context, options);
      return Readable.from([]);
    },
    modem: {
      // The build API as engine-relabel.ts may call it directly (POST /build, tar body).
      dial: (
        request: {
          path: string;
          file: Readable;
          options: Record<string, unknown>;
        },
        done: (error: Error | null, stream?: Readable) => void
      ) => {
        assert.match(request.path, /^\/build/);
        this.build(request.file, request.options).then(
          () => done(null, Readable.from([])),
          error => done(error as Error)
        );
      },
      followProgress: (
        _stream: unknown,
        done: (error: Error | null, output: unknown[]) => void
      ) => done(null, [{ stream: 'Successfully built' }])
    }
  };

  /** What the engine's build API does with `FROM <image>` and labels: a new config, same layers. */
  private async build(
    context: Readable,
    options: Record<string, unknown>
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of context) chunks.push(chunk as Buffer);
    const tar = Buffer.concat(chunks);
    const size = parseInt(tar.subarray(124, 135).toString('ascii'), 8);
    const dockerfile = tar.subarray(512, 512 + size).toString('utf8');
    this.builds.push({ dockerfile, options, removedBefore: [...this.removed] });
    const source = /^FROM (\S+)\n$/.exec(dockerfile)![1];
    const from = this.images.get(source)!;
    const labels = options.labels;
    this.images.set(options.t as string, {
      id: `sha256:${++this.ids}`,
      labels: {
        ...from.labels,
        ...((typeof labels === 'string'
          ? JSON.parse(labels)
          : labels) as Record<string, string>)
      }
    });
  }

  add(name: string, owner: string, buildId: string): void {
    const labels = toLabels({
      owner,
      shared: false,
      repo: 'https://example.org/course.git',
      ref: 'main',
      commit: COMMIT,
      subdir: null,
      name: name.split('/')[1].split(':')[0],
      displayName: 'course',
      buildId,
      builtAt: '2026-01-01T00:00:00Z',
      private: false,
      buildArgs: [],
      buildArgsDigest: ''
    });
    this.images.set(name, { id: `sha256:${++this.ids}`, labels });
  }

  private image(name: string): Image | null {
    const entry = this.images.get(name);
    const labels = entry && fromLabels(entry.labels);
    return labels
      ? toImage(name, labels, 100, { engine: true, registry: false })
      : null;
  }
  async ping() {
    return true;
  }
  async list() {
    return [...this.images.keys()].map(name => this.image(name)!);
  }
  async find(name: string) {
    return this.image(name);
  }
  async imageId(name: string) {
    return this.images.get(name)?.id ?? null;
  }
  async removeIfUntagged(id: string) {
    this.removedIfUntagged.push(id);
  }
  removedIfUntagged: string[] = [];
  async remove(name: string) {
    return this.images.delete(name);
  }
}

describe('sharing routes', () => {
  let service: Service;
  let engine: FakeEngine;

  const call = async (
    user: string | null,
    method: string,
    path: string,
    body?: unknown
  ) => {
    const response = await service.app.inject({
      method: method as 'GET',
      url: `${PREFIX}${path}`,
      headers: user ? { authorization: `token ${user}` } : {},
      payload: body === undefined ? undefined : (body as object)
    });
    return {
      status: response.statusCode,
      body: response.body ? response.json() : null,
      headers: response.headers
    };
  };
  const sharing = (user: string, body: unknown, name = NAME) =>
    call(user, 'PUT', `/api/images/${encodeURIComponent(name)}/sharing`, body);
  const names = async (user: string, query = '') =>
    (
      (await call(user, 'GET', `/api/images${query}`)).body.images as Image[]
    ).map(image => image.name);

  before(async () => {
    engine = new FakeEngine();
    const config = unitConfig();
    service = createService(config, {
      authenticator: fakeAuth,
      engine: engine as unknown as DockerEngine,
      oauth: null
    });
    await service.app.ready();
  });
  after(() => service.app.close());
  beforeEach(() => {
    engine.images.clear();
    engine.builds.length = 0;
    engine.add(NAME, 'alice', 'build-alice');
    engine.add(`r2d-dave/mine:${COMMIT}`, 'dave', 'build-dave');
    service.context.catalog.invalidate();
  });

  it('re-labels the image in the engine with a config-only build of FROM itself', async () => {
    const before = engine.images.get(NAME)!.id;
    const pushed = `r2d-alice/course@sha256:${'1'.repeat(64)}`;
    engine.digests.set(NAME, [pushed]);
    const answer = await sharing('alice', {
      visibility: 'groups',
      groups: ['course-101']
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.sharing, {
      visibility: 'groups',
      groups: ['course-101']
    });
    assert.equal(answer.body.name, NAME);
    assert.match(String(answer.headers['server-timing']), /^engine;dur=\d/);
    assert.equal(engine.builds.length, 1);
    const [{ dockerfile, options }] = engine.builds;
    assert.equal(dockerfile, `FROM ${NAME}\n`); // nothing RUN: no new layer
    assert.equal(options.t, NAME);
    assert.equal(options.networkmode, 'none');
    assert.deepEqual(options.labels, {
      [LABEL.sharing]: 'groups',
      [LABEL.sharingGroups]: '["course-101"]'
    });
    assert.deepEqual(engine.removedIfUntagged, [before]);
    // The stale digest reference of the push goes, before the tag moves.
    assert.deepEqual(engine.builds[0].removedBefore, [pushed]);
    engine.digests.clear();
    engine.removed.length = 0;
    assert.equal(engine.images.get(NAME)!.labels[LABEL.owner], 'alice');
  });

  it('shows a group-shared image to group members only, and to the spawner for them only', async () => {
    assert.deepEqual(await names('bob'), []);
    await sharing('alice', { visibility: 'groups', groups: ['course-101'] });
    assert.deepEqual(await names('bob'), [NAME]);
    assert.ok(!(await names('dave')).includes(NAME));
    assert.deepEqual(
      await names('spawner', '?usableBy=bob&groups=course-101'),
      [NAME]
    );
    assert.deepEqual(await names('spawner', '?usableBy=bob&groups='), []);
    assert.deepEqual(await names('spawner', '?usableBy=dave&groups=other'), [
      `r2d-dave/mine:${COMMIT}`
    ]);
    assert.deepEqual(await names('admin', '?usableBy=carol'), []);
    // Only a read-all (or admin) token may ask for someone else.
    const refused = await call(
      'bob',
      'GET',
      '/api/images?usableBy=bob&groups=course-101'
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.scope, READ_ALL_SCOPE);
    const alone = await call('spawner', 'GET', '/api/images?groups=course-101');
    assert.equal(alone.status, 400);
    assert.equal(alone.body.error.field, 'groups');
  });

  it('shares with everyone, and back to the owner only', async () => {
    await sharing('alice', { visibility: 'everyone', groups: [] });
    assert.ok((await names('dave')).includes(NAME));
    assert.deepEqual(await names('spawner', '?usableBy=carol'), [NAME]);
    const back = await sharing('alice', { visibility: 'owner', groups: [] });
    assert.equal(back.status, 200);
    assert.deepEqual(back.body.sharing, { visibility: 'owner', groups: [] });
    assert.deepEqual(await names('bob'), []);
    assert.ok(!(await names('dave')).includes(NAME));
  });

  it('lets only the owner or an admin change it: 403 for those it is shared with, 404 for others', async () => {
    await sharing('alice', { visibility: 'groups', groups: ['course-101'] });
    const bob = await sharing('bob', { visibility: 'everyone', groups: [] });
    assert.equal(bob.status, 403);
    const dave = await sharing('dave', { visibility: 'everyone', groups: [] });
    assert.equal(dave.status, 404);
    // Only the name dave typed comes back: nothing of how it is shared.
    assert.doesNotMatch(
      JSON.stringify(dave.body),
      /course-101|sharing|visibility/
    );
    const missing = await sharing(
      'alice',
      { visibility: 'everyone' },
      `r2d-alice/nothing:${COMMIT}`
    );
    assert.equal(missing.status, 404);
    // Delete: the same line.
    const path = `/api/images/${encodeURIComponent(NAME)}`;
    assert.equal((await call('dave', 'DELETE', path)).status, 404);
    assert.equal((await call('bob', 'DELETE', path)).status, 403);
    assert.ok(engine.images.has(NAME));
    const byAdmin = await sharing('admin', { visibility: 'owner', groups: [] });
    assert.equal(byAdmin.status, 200);
    assert.equal(engine.builds.length, 2); // alice's and the admin's; none for the refused ones
  });

  it('allows the owner’s own groups only (400 naming groups) and refuses bad bodies', async () => {
    const other = await sharing('alice', {
      visibility: 'groups',
      groups: ['course-101', 'other']
    });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.field, 'groups');
    assert.match(other.body.error.message, /other/);
    const bad = await sharing('alice', { visibility: 'public' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.field, 'visibility');
    const name = await call(
      'alice',
      'PUT',
      '/api/images/not%20a%20name/sharing',
      { visibility: 'owner' }
    );
    assert.equal(name.status, 400);
    assert.equal(name.body.error.field, 'name');
    // An admin cannot read alice's groups: only keep or narrow hers.
    const admin = await sharing('admin', {
      visibility: 'groups',
      groups: ['staff']
    });
    assert.equal(admin.status, 400);
    assert.equal(admin.body.error.field, 'groups');
    assert.equal(engine.builds.length, 0);
  });

  it('lets those an image is shared with read the build behind it, and nobody else', async () => {
    const build = finishedRecord(2, 10, 'built', {
      id: 'build-alice',
      owner: 'alice',
      image: NAME
    });
    service.context.manager.history.add(build);
    service.context.manager.history.markFinished(build);
    const log = (user: string) =>
      service.app.inject({
        url: `${PREFIX}/api/builds/build-alice/logs`,
        headers: { authorization: `token ${user}` }
      });
    assert.equal(
      (await call('bob', 'GET', '/api/builds/build-alice')).status,
      404
    );
    assert.equal((await log('bob')).statusCode, 404);
    await sharing('alice', { visibility: 'groups', groups: ['course-101'] });
    assert.equal(
      (await call('bob', 'GET', '/api/builds/build-alice')).status,
      200
    );
    const read = await log('bob');
    assert.equal(read.statusCode, 200);
    assert.match(read.body, /xxxxxxxxxx/);
    assert.ok(
      (
        (await call('bob', 'GET', '/api/builds')).body.builds as {
          id: string;
        }[]
      ).some(b => b.id === 'build-alice')
    );
    assert.equal(
      (await call('bob', 'DELETE', '/api/builds/build-alice')).status,
      403
    );
    assert.equal(
      (await call('dave', 'GET', '/api/builds/build-alice')).status,
      404
    );
    assert.equal((await log('dave')).statusCode, 404);
    assert.ok(
      !(
        (await call('dave', 'GET', '/api/builds')).body.builds as {
          id: string;
        }[]
      ).some(b => b.id === 'build-alice')
    );
  });

  it('refuses to re-label an image with ONBUILD triggers, which FROM would run', async () => {
    engine.onBuild.set(NAME, ['RUN touch /owned']);
    try {
      const answer = await sharing('alice', {
        visibility: 'everyone',
        groups: []
      });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error.code, 'not_relabelable');
      assert.equal(engine.builds.length, 0);
      assert.deepEqual(await names('dave'), [`r2d-dave/mine:${COMMIT}`]);
    } finally {
      engine.onBuild.clear();
    }
  });

  it('tells the caller their hub groups in /api/info', async () => {
    assert.deepEqual(
      (await call('alice', 'GET', '/api/info')).body.user.groups,
      ['course-101', 'staff']
    );
    assert.deepEqual(
      (await call('spawner', 'GET', '/api/info')).body.user.groups,
      []
    );
  });
});
