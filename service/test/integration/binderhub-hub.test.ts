/**
 * Ownership with the BinderHub backend under a REAL JupyterHub: the hub runs the service (from
 * this source tree, examples/jupyterhub_config.py + examples/test_overrides.py) with
 * `backend: {kind: "binderhub", url}` pointing at a real BinderHub (scripts/start-binderhub.sh,
 * API-only, local repo2docker builds on this engine). Users are the example's, none of them a
 * repo2docker admin here:
 *
 *   alice, dave: repo2docker-builders    bob: repo2docker-readers
 *
 * BinderHub itself has no users: one BinderHub build is the same for everyone. These tests show
 * that ownership is ours on top of it: alice and dave build the SAME repository at the same
 * commit, each through the hub with their own token, and each ends up with an image of their
 * own, sees only that, and can neither read the other's log nor delete the other's image.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { imageLabels, removeImage } from '../helpers/docker-cli.js';
import {
  BinderHubProcess,
  fixtureParent,
  makeRepo
} from '../helpers/binderhub.js';
import { HubProcess } from '../helpers/hub.js';
import { requireRealParts } from '../helpers/paths.js';
import { readLog } from '../helpers/sse.js';

const BUILD = 'custom:repo2docker:build';
const OWNER_LABEL = 'org.jupyter.repo2docker-service.owner';

type User = 'alice' | 'dave' | 'bob';

describe(
  'BinderHub backend under a real JupyterHub: ownership for non-admin users',
  { timeout: 600_000 },
  () => {
    const binderhub = new BinderHubProcess();
    let hub: HubProcess;
    let parent: string;
    let repo: string;
    const tokens = {} as Record<User, string>;
    /** The builds of alice and dave of the same repository, finished. */
    const built = {} as Record<'alice' | 'dave', any>;
    const made: string[] = [];

    before(async () => {
      requireRealParts();
      parent = fixtureParent();
      repo = makeRepo(parent, 'shared', 'echo built-by-binderhub');
      await binderhub.start();
      hub = await new HubProcess({
        serviceConfig: {
          backend: { kind: 'binderhub', url: binderhub.url }
        }
      }).start();
      for (const user of ['alice', 'dave', 'bob'] as const) {
        tokens[user] = await hub.token(user);
      }
      // At the same time, so that two builds of one repository and commit are in flight at
      // once: ours are two builds (two owners, two names), never joined into one.
      const started = await Promise.all(
        (['alice', 'dave'] as const).map(user =>
          hub.api(tokens[user], 'POST', '/api/builds', { repo, ref: 'main' })
        )
      );
      for (const answer of started) {
        assert.equal(answer.status, 202, JSON.stringify(answer.body));
      }
      assert.notEqual(started[0].body.id, started[1].body.id);
      built.alice = await hub.waitForBuild(tokens.alice, started[0].body.id);
      built.dave = await hub.waitForBuild(tokens.dave, started[1].body.id);
      made.push(built.alice.image, built.dave.image);
    });

    after(async () => {
      await hub?.stop();
      await binderhub.stop();
      made.forEach(removeImage);
      if (parent) {
        rmSync(parent, { recursive: true, force: true });
      }
    });

    it('alice and dave each get their own image of the same repository and commit, labelled with their hub name', () => {
      for (const user of ['alice', 'dave'] as const) {
        const build = built[user];
        assert.equal(build.phase, 'built', `${user}: ${build.error}`);
        assert.equal(build.owner, user);
        assert.equal(build.image, `r2d-${user}/shared:${build.commit}`);
        assert.equal(imageLabels(build.image)?.[OWNER_LABEL], user);
      }
      assert.equal(built.alice.commit, built.dave.commit);
      assert.deepEqual(
        binderhub.images(),
        [],
        "BinderHub's own name is gone once both images are ours"
      );
    });

    it("each builder's log came from BinderHub and is readable by them", async () => {
      const runOutput: boolean[] = [];
      for (const user of ['alice', 'dave'] as const) {
        const log = await readLog(
          hub.serviceUrl,
          { authorization: `token ${tokens[user]}` },
          built[user].id
        );
        assert.equal(log.status, 200);
        assert.ok(log.ended);
        const messages = log.events.map(event => event.message).join('\n');
        assert.match(messages, /Asking BinderHub at /);
        assert.match(messages, /Done! Image built/);
        runOutput.push(messages.includes('built-by-binderhub'));
        assert.equal(log.events.at(-1)!.phase, 'built');
      }
      // BinderHub ran two builds of one commit at once; BuildKit on one engine may merge the
      // identical solves, and then only one of the two streams shows the RUN step's output.
      assert.ok(runOutput.includes(true), 'the RUN output is in a log');
    });

    it('each lists only their own image and only their own build', async () => {
      for (const [user, other] of [
        ['alice', 'dave'],
        ['dave', 'alice']
      ] as const) {
        const images = await hub.api(tokens[user], 'GET', '/api/images');
        assert.equal(images.status, 200);
        const listed = images.body.images.map(
          (image: { name: string; owner: string }) => [image.name, image.owner]
        );
        assert.deepEqual(
          listed.filter(([name]: string[]) =>
            name.endsWith('/shared:' + built[user].commit)
          ),
          [[built[user].image, user]],
          `${user} lists ${JSON.stringify(listed)}`
        );
        // (Images others shared with everyone are listed too: sharing, issue 14.)
        assert.ok(
          listed.every(
            ([name, owner]: string[]) =>
              owner !== other && !name.startsWith(`r2d-${other}/`)
          ),
          `${user} sees none of ${other}'s images: ${JSON.stringify(listed)}`
        );
        // Asking for the other's images by name filter shows nothing either.
        const filtered = await hub.api(
          tokens[user],
          'GET',
          `/api/images?owner=${other}`
        );
        assert.ok(
          filtered.status === 403 ||
            (filtered.status === 200 && filtered.body.images.length === 0),
          `${user} asking for ${other}'s images: ${filtered.status} ${JSON.stringify(filtered.body)}`
        );
        const builds = await hub.api(tokens[user], 'GET', '/api/builds');
        const ids = builds.body.builds.map((build: { id: string }) => build.id);
        assert.ok(ids.includes(built[user].id));
        assert.ok(!ids.includes(built[other].id), `${user} sees ${ids}`);
      }
    });

    it("neither can read the other's build or log (404, as if it did not exist)", async () => {
      for (const [user, other] of [
        ['alice', 'dave'],
        ['dave', 'alice']
      ] as const) {
        const id = built[other].id;
        assert.equal(
          (await hub.api(tokens[user], 'GET', `/api/builds/${id}`)).status,
          404
        );
        const log = await readLog(
          hub.serviceUrl,
          { authorization: `token ${tokens[user]}` },
          id
        );
        assert.equal(log.status, 404);
        assert.equal(log.events.length, 0);
      }
    });

    it('bob (reader) cannot build: 403 naming the build scope; BinderHub is not asked', async () => {
      const before = binderhub.log().match(/Starting build: /g)?.length ?? 0;
      const answer = await hub.api(tokens.bob, 'POST', '/api/builds', {
        repo,
        ref: 'main'
      });
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body.error.scope, BUILD);
      assert.equal(
        binderhub.log().match(/Starting build: /g)?.length ?? 0,
        before
      );
      // bob reads: he lists, and sees neither builder's image.
      const images = await hub.api(tokens.bob, 'GET', '/api/images');
      assert.equal(images.status, 200);
      const names = images.body.images.map(
        (image: { name: string }) => image.name
      );
      assert.ok(!names.includes(built.alice.image), `${names}`);
      assert.ok(!names.includes(built.dave.image), `${names}`);
    });

    it("neither can delete the other's image; each can delete their own", async () => {
      for (const [user, other] of [
        ['alice', 'dave'],
        ['dave', 'alice']
      ] as const) {
        const target = built[other].image;
        const refused = await hub.api(
          tokens[user],
          'DELETE',
          `/api/images/${encodeURIComponent(target)}`
        );
        assert.equal(refused.status, 404, JSON.stringify(refused.body));
        assert.equal(
          imageLabels(target)?.[OWNER_LABEL],
          other,
          `${target} is still in the engine`
        );
      }
      const bob = await hub.api(
        tokens.bob,
        'DELETE',
        `/api/images/${encodeURIComponent(built.alice.image)}`
      );
      assert.equal(bob.status, 403);
      assert.equal(bob.body.error.scope, BUILD);
      for (const user of ['alice', 'dave'] as const) {
        const own = await hub.api(
          tokens[user],
          'DELETE',
          `/api/images/${encodeURIComponent(built[user].image)}`
        );
        assert.equal(own.status, 204, JSON.stringify(own.body));
        assert.equal(imageLabels(built[user].image), null);
      }
    });
  }
);
