/**
 * Sharing against a real JupyterHub 6 (examples/jupyterhub_config.py via test_overrides.py), its
 * groups made through the hub's REST API: alice (builder) builds and shares with course-101;
 * bob (in the group) sees the image, reads its build's log and gets it from the spawner's
 * question (the service's `usableBy` answer, asked by the real Python helper with the hub's
 * repo2docker-spawner token); dave (not in the group) sees nothing through any hand-made request.
 * Then everyone, back to owner-only, and bob leaving the group (seen once his token's cache entry
 * expires: measured). A hostile Dockerfile's own sharing labels never take effect.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  imageLabels,
  imagesOfBuild,
  removeImage
} from '../helpers/docker-cli.js';
import { commitTree } from '../helpers/git-repo.js';
import { buildThroughHub, HubProcess, stopKeepingLog } from '../helpers/hub.js';
import {
  makeFixtures,
  requireRealParts,
  ROOT,
  VENV,
  type Fixtures
} from '../helpers/paths.js';
import { readLog } from '../helpers/sse.js';

const LABEL = 'org.jupyter.repo2docker-service.';
const GROUP = 'course-101';
const HUB_LOG = join(tmpdir(), 'r2d-sharing-test.log');
const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms));

type User = 'alice' | 'bob' | 'dave' | 'admin';

describe('sharing environments with hub groups (real JupyterHub)', () => {
  let fixtures: Fixtures;
  let hub: HubProcess;
  const spawnerToken = randomBytes(24).toString('hex');
  const tokens = {} as Record<User, string>;
  const made = new Set<string>();
  let scratch = '';
  let build: any;

  const api = (
    user: User | 'spawner',
    method: string,
    path: string,
    body?: unknown
  ) =>
    hub.api(
      user === 'spawner' ? spawnerToken : tokens[user],
      method,
      path,
      body
    );
  const imageNames = async (
    user: User | 'spawner',
    query = ''
  ): Promise<string[]> => {
    const answer = await api(user, 'GET', `/api/images${query}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.images.map((image: { name: string }) => image.name);
  };
  const share = async (
    user: User,
    visibility: string,
    groups: string[] = []
  ) => {
    const started = performance.now();
    const answer = await api(
      user,
      'PUT',
      `/api/images/${encodeURIComponent(build.image)}/sharing`,
      { visibility, groups }
    );
    return { ...answer, ms: performance.now() - started };
  };
  /** The real spawner helper (jupyterlab_repo2docker/spawner.py) asking for `user`. */
  const helperImages = (user: string, groups: string[]): string[] =>
    JSON.parse(
      execFileSync(
        join(VENV, 'bin', 'python'),
        [
          '-c',
          [
            'import asyncio, json, sys',
            'from jupyterlab_repo2docker.spawner import EnvironmentImages',
            'helper = EnvironmentImages(url=sys.argv[1], token=sys.argv[2])',
            'images = asyncio.run(helper.images_for(sys.argv[3], json.loads(sys.argv[4])))',
            'print(json.dumps([image["name"] for image in images]))'
          ].join('\n'),
          `${hub.serviceUrl}/`,
          spawnerToken,
          user,
          JSON.stringify(groups)
        ],
        {
          encoding: 'utf8',
          cwd: ROOT,
          env: { ...process.env, PYTHONPATH: ROOT }
        }
      )
    );

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    scratch = mkdtempSync(join(tmpdir(), 'r2d-sharing-'));
    hub = await new HubProcess({
      env: { REPO2DOCKER_SPAWNER_TOKEN: spawnerToken }
    }).start();
    // The group, through the hub's REST API with the test-admin service (admin:groups).
    const created = await hub.hubApi('POST', `/groups/${GROUP}`, {
      users: ['alice', 'bob']
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    for (const user of ['alice', 'bob', 'dave', 'admin'] as const) {
      tokens[user] = await hub.token(user);
    }
    build = await buildThroughHub(
      hub,
      tokens.alice,
      { repo: fixtures.ok, ref: 'main' },
      made
    );
  });

  after(async () => {
    await stopKeepingLog(hub, HUB_LOG);
    made.forEach(removeImage);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('tells each caller their hub groups in /api/info, from the hub’s user model', async () => {
    const groups = async (user: User) =>
      (await api(user, 'GET', '/api/info')).body.user.groups;
    assert.ok((await groups('alice')).includes(GROUP));
    assert.ok((await groups('bob')).includes(GROUP));
    assert.ok(!(await groups('dave')).includes(GROUP));
  });

  it('starts owner-only: bob and dave do not see alice’s new image', async () => {
    const labels = imageLabels(build.image)!;
    assert.equal(labels[`${LABEL}sharing`], 'owner');
    assert.ok((await imageNames('alice')).includes(build.image));
    assert.ok(!(await imageNames('bob')).includes(build.image));
    assert.ok(!(await imageNames('dave')).includes(build.image));
    assert.ok(!helperImages('bob', [GROUP]).includes(build.image));
  });

  it('refuses groups alice is not in, naming groups', async () => {
    const refused = await share('alice', 'groups', ['repo2docker-readers']);
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.field, 'groups');
  });

  it('alice shares with course-101: bob sees it, through the spawner too, and reads its log', async () => {
    const shared = await share('alice', 'groups', [GROUP]);
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
    assert.deepEqual(shared.body.sharing, {
      visibility: 'groups',
      groups: [GROUP]
    });
    console.log(
      `# re-label (engine) through the hub's proxy: ${shared.ms.toFixed(0)} ms`
    );
    assert.equal(imageLabels(build.image)![`${LABEL}sharing`], 'groups');
    // Re-labelled in place: one image of this build, under the same name.
    assert.deepEqual(imagesOfBuild(build.id).length, 1);
    const listed = (await api('bob', 'GET', '/api/images')).body.images.find(
      (image: { name: string }) => image.name === build.image
    );
    assert.equal(listed?.owner, 'alice');
    assert.deepEqual(listed?.sharing, {
      visibility: 'groups',
      groups: [GROUP]
    });
    // The spawner's question, by hand and through the Python helper with bob's groups.
    assert.ok(
      (
        await imageNames(
          'spawner',
          `?usableBy=bob&groups=${GROUP},repo2docker-readers`
        )
      ).includes(build.image)
    );
    assert.ok(
      helperImages('bob', [GROUP, 'repo2docker-readers']).includes(build.image)
    );
    assert.ok(
      !helperImages('dave', ['repo2docker-builders']).includes(build.image)
    );
    // The build behind it, and its log.
    assert.equal(
      (await api('bob', 'GET', `/api/builds/${build.id}`)).status,
      200
    );
    const log = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.bob}` },
      build.id
    );
    assert.equal(log.status, 200);
    assert.equal(log.events.at(-1)?.phase, 'built');
    // bob may not change or delete it.
    assert.equal((await share('bob', 'everyone')).status, 403);
    const deleted = await api(
      'bob',
      'DELETE',
      `/api/images/${encodeURIComponent(build.image)}`
    );
    assert.equal(deleted.status, 403);
    assert.ok(imageLabels(build.image), 'still there');
  });

  it('dave, not in the group, finds no trace of it with hand-made requests', async () => {
    assert.ok(!(await imageNames('dave')).includes(build.image));
    assert.ok(
      !(await imageNames('dave', `?owner=alice`)).includes(build.image)
    );
    const builds = await api('dave', 'GET', '/api/builds');
    assert.ok(!JSON.stringify(builds.body).includes(build.id));
    assert.equal(
      (await api('dave', 'GET', `/api/builds/${build.id}`)).status,
      404
    );
    const log = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.dave}` },
      build.id
    );
    assert.equal(log.status, 404);
    const put = await share('dave', 'everyone');
    assert.equal(put.status, 404, JSON.stringify(put.body));
    const deleted = await api(
      'dave',
      'DELETE',
      `/api/images/${encodeURIComponent(build.image)}`
    );
    assert.equal(deleted.status, 404);
    assert.ok(imageLabels(build.image), 'still there');
    // dave asks for the same repository: a build of his own, nothing of alice's.
    const same = await api('dave', 'POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main'
    });
    assert.ok([200, 202].includes(same.status), JSON.stringify(same.body));
    made.add(same.body.image);
    assert.equal(same.body.owner, 'dave');
    assert.equal(same.body.alreadyBuilt, false);
    assert.doesNotMatch(JSON.stringify(same.body), /alice/);
    const done = await hub.waitForBuild(tokens.dave, same.body.id, 180);
    assert.equal(done.phase, 'built', JSON.stringify(done));
    const daveLog = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.dave}` },
      done.id
    );
    assert.doesNotMatch(
      daveLog.events.map(event => event.message).join('\n'),
      /alice|already exists/
    );
    // The spawner, asked for dave, does not offer it either.
    assert.ok(
      !(
        await imageNames(
          'spawner',
          '?usableBy=dave&groups=repo2docker-builders'
        )
      ).includes(build.image)
    );
  });

  it('shares with everyone, then back to the owner only, and bob no longer sees it', async () => {
    const everyone = await share('alice', 'everyone');
    assert.equal(everyone.status, 200, JSON.stringify(everyone.body));
    assert.ok((await imageNames('dave')).includes(build.image));
    assert.ok(helperImages('dave', []).includes(build.image));
    const back = await share('alice', 'owner');
    assert.equal(back.status, 200, JSON.stringify(back.body));
    console.log(
      `# re-label times through the proxy: everyone ${everyone.ms.toFixed(0)} ms, owner ${back.ms.toFixed(0)} ms`
    );
    // At once: the image list is re-read after a re-label.
    assert.ok(!(await imageNames('bob')).includes(build.image));
    assert.ok(!(await imageNames('dave')).includes(build.image));
    assert.equal(
      (await api('bob', 'GET', `/api/builds/${build.id}`)).status,
      404
    );
    assert.ok(!helperImages('bob', [GROUP]).includes(build.image));
  });

  it('bob leaving the group loses it once his token’s cache entry expires (auth.cacheSeconds)', async () => {
    assert.equal((await share('alice', 'groups', [GROUP])).status, 200);
    assert.ok((await imageNames('bob')).includes(build.image));
    const removed = await hub.hubApi('DELETE', `/groups/${GROUP}/users`, {
      users: ['bob']
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const started = performance.now();
    let seen = true;
    while (seen && performance.now() - started < 10_000) {
      seen = (await imageNames('bob')).includes(build.image);
      if (seen) await sleep(100);
    }
    const ms = performance.now() - started;
    assert.equal(seen, false, 'bob still sees it 10 s after leaving the group');
    assert.ok(ms < 3000, `took ${ms} ms with auth.cacheSeconds 1`);
    console.log(
      `# bob stopped seeing it ${ms.toFixed(0)} ms after leaving ${GROUP} (auth.cacheSeconds: 1)`
    );
    assert.ok(
      !(await api('bob', 'GET', '/api/info')).body.user.groups.includes(GROUP)
    );
  });

  it('a Dockerfile setting our sharing labels itself does not share the image', async () => {
    const repo = commitTree(join(scratch, 'hostile'), {
      'README.md': randomBytes(4).toString('hex'),
      Dockerfile:
        'FROM scratch\nCOPY README.md /README.md\n' +
        `LABEL ${LABEL}sharing="everyone" ${LABEL}sharing-groups="[\\"${GROUP}\\"]"\n`
    });
    const started = await api('dave', 'POST', '/api/builds', {
      repo: repo.url
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    made.add(started.body.image);
    const done = await hub.waitForBuild(tokens.dave, started.body.id, 180);
    if (done.phase === 'built') {
      // The service's labels won over the Dockerfile's.
      const labels = imageLabels(done.image)!;
      assert.equal(labels[`${LABEL}sharing`], 'owner');
      assert.equal(labels[`${LABEL}sharing-groups`], '[]');
    } else {
      assert.equal(done.phase, 'failed', JSON.stringify(done));
      assert.match(done.error, /labels do not match/);
    }
    assert.ok(!(await imageNames('bob')).includes(done.image));
    assert.ok(!(await imageNames('alice')).includes(done.image));
    console.log(`# hostile sharing labels: build ${done.phase}`);
  });
});
