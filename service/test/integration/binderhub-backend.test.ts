/**
 * The BinderHub backend through OUR API: the real service (child process) with
 * `backend.kind: "binderhub"`, a real BinderHub (scripts/start-binderhub.sh, API-only, local
 * repo2docker builds on this engine) and real fixture repositories.
 *
 * Measures too: one fixture build through our service with this backend against the same build
 * asked of BinderHub directly, in the same run (diagnostic "BinderHub backend timing").
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BinderHubClient } from '../../src/backends/binderhub-client.js';
import {
  BinderHubProcess,
  fixtureParent,
  makeRepo
} from '../helpers/binderhub.js';
import { requireRealParts } from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

/** Our labels of an image, or null when the engine has no such image. */
function labelsOf(reference: string): Record<string, string> | null {
  try {
    return (
      JSON.parse(
        execFileSync(
          'docker',
          [
            'image',
            'inspect',
            '--format',
            '{{json .Config.Labels}}',
            reference
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
        )
      ) ?? {}
    );
  } catch {
    return null;
  }
}

function removeImage(reference: string): void {
  try {
    execFileSync('docker', ['rmi', '--force', reference], { stdio: 'ignore' });
  } catch {
    // gone already
  }
}

/** BinderHub's repo2docker processes for a fixture directory (its argv names the checkout URL). */
function repo2dockerRuns(repoDir: string): number {
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['-f', '--', repoDir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return 0;
  }
  return pids.filter(pid => {
    try {
      return execFileSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' })
        .split('\0')
        .some(arg => arg.endsWith('jupyter-repo2docker'));
    } catch {
      return false;
    }
  }).length;
}

/** How many builds BinderHub started for a fixture (its log says "Starting build: …/<name>"). */
function startedBuilds(hub: BinderHubProcess, name: string): number {
  return (
    hub.log().match(new RegExp(`Starting build: .*/${name}$`, 'gm')) ?? []
  ).length;
}

describe('BinderHub backend through our API', { timeout: 600_000 }, () => {
  const hub = new BinderHubProcess();
  let parent: string;
  let service: ServiceProcess;
  const made: string[] = [];

  const startService = (user: string): Promise<ServiceProcess> =>
    new ServiceProcess({
      user,
      config: {
        backend: { kind: 'binderhub', url: hub.url },
        builds: { allowLocalRepos: true, maxQueuedPerUser: 30 }
      }
    }).start();

  before(async () => {
    requireRealParts();
    parent = fixtureParent();
    await hub.start();
    service = await startService('alice');
  });

  after(async () => {
    await service?.stop();
    await hub.stop();
    made.forEach(removeImage);
    if (parent) {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('builds with the log streamed and resumed: nothing lost or doubled; our name and labels', async () => {
    const repo = makeRepo(
      parent,
      'stream',
      'for i in 1 2 3 4 5 6; do echo line-$i; /bin/busybox sleep 0.3; done'
    );
    const started = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main'
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id;
    // Read a few events, drop the connection, resume from the last id we saw.
    const first = await readLog(service.url, service.headers(), id, {
      stopAfter: 3
    });
    assert.equal(first.ended, false);
    assert.equal(first.events.length, 3);
    const resumed = await readLog(service.url, service.headers(), id, {
      lastEventId: Number(first.ids.at(-1))
    });
    assert.equal(resumed.ended, true, 'the stream ends with the build');
    const full = await readLog(service.url, service.headers(), id);
    assert.deepEqual(
      [...first.ids, ...resumed.ids],
      full.ids,
      'first part + resumed part = the whole log, in order, once'
    );
    assert.deepEqual(
      [...first.events, ...resumed.events].map(event => event.message),
      full.events.map(event => event.message)
    );
    assert.equal(new Set(full.ids).size, full.ids.length, 'no id twice');
    const messages = full.events.map(event => event.message).join('\n');
    for (let i = 1; i <= 6; i++) {
      assert.match(
        messages,
        new RegExp(`line-${i}`),
        `line-${i} from BinderHub's repo2docker is in our log`
      );
    }
    assert.equal(full.events.at(-1)!.phase, 'built');

    const build = await service.waitForBuild(id);
    assert.equal(build.phase, 'built', build.error);
    made.push(build.image);
    assert.match(
      build.image,
      /^r2d-alice\//,
      "the image is in the owner's namespace"
    );
    const labels = labelsOf(build.image);
    assert.ok(labels, 'our image is in the engine');
    assert.equal(labels['org.jupyter.repo2docker-service.owner'], 'alice');
    assert.equal(labels['org.jupyter.repo2docker-service.build-id'], id);
    assert.deepEqual(
      hub.images(),
      [],
      "BinderHub's own tag is removed once the image is ours"
    );
  });

  it('already built: answered from our image, BinderHub not asked', async () => {
    const repo = makeRepo(parent, 'again', 'echo once');
    const first = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main'
    });
    const build = await service.waitForBuild(first.body.id);
    assert.equal(build.phase, 'built', build.error);
    made.push(build.image);
    const asked = startedBuilds(hub, 'again');
    assert.equal(asked, 1);
    const again = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main'
    });
    assert.equal(again.status, 200);
    assert.equal(again.body.alreadyBuilt, true);
    assert.equal(again.body.image, build.image);
    assert.equal(
      startedBuilds(hub, 'again'),
      1,
      'BinderHub was not asked again'
    );
  });

  it('a failing build ends failed, its stream closed, nothing hangs', async () => {
    const repo = makeRepo(parent, 'broken', 'echo about-to-fail; exit 3');
    const started = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main'
    });
    assert.equal(started.status, 202);
    const t0 = Date.now();
    // BinderHub never closes a failed stream itself: our log stream must end anyway, promptly.
    const log = await readLog(service.url, service.headers(), started.body.id);
    assert.equal(log.ended, true);
    assert.ok(
      Date.now() - t0 < 60_000,
      'ended well before BinderHub keepalives would matter'
    );
    assert.equal(log.events.at(-1)!.phase, 'failed');
    assert.ok(
      log.events.some(event => event.message.includes('about-to-fail'))
    );
    assert.ok(
      log.events.every(
        event => !event.message.includes('Traceback (most recent call last)')
      ),
      'no traceback for users'
    );
    const build = await service.waitForBuild(started.body.id, 10);
    assert.equal(build.phase, 'failed');
    assert.ok(build.error, 'a failure message');
    assert.equal(labelsOf(build.image), null, 'no image of ours');
    // Our side holds no stream to BinderHub any more (the client closed it on `failed`).
    const port = new URL(hub.url).port;
    const open = execFileSync(
      'ss',
      ['-tnH', 'state', 'established', `( dport = :${port} )`],
      { encoding: 'utf8' }
    ).trim();
    assert.equal(open, '', 'no connection to BinderHub left open');
  });

  it('cancel: our side stops at once; BinderHub stops repo2docker at its next write; no image', async () => {
    const dirName = 'cancel';
    const repo = makeRepo(
      parent,
      dirName,
      'echo started; while true; do echo tick; /bin/busybox sleep 0.5; done'
    );
    const started = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main'
    });
    assert.equal(started.status, 202);
    await readLog(service.url, service.headers(), started.body.id, {
      onEvent: event => {
        if (event.message.includes('tick')) {
          throw Object.assign(new Error('seen'), { seen: true });
        }
      }
    }).catch(error => {
      if (!error.seen) throw error;
    });
    const t0 = Date.now();
    const cancel = await service.api(
      'DELETE',
      `/api/builds/${started.body.id}`
    );
    assert.equal(cancel.status, 200);
    const build = await service.waitForBuild(started.body.id, 10);
    const ourStop = Date.now() - t0;
    assert.equal(build.phase, 'cancelled');
    assert.ok(ourStop < 5_000, `our side stopped in ${ourStop} ms`);
    const port = new URL(hub.url).port;
    const open = execFileSync(
      'ss',
      ['-tnH', 'state', 'established', `( dport = :${port} )`],
      { encoding: 'utf8' }
    ).trim();
    assert.equal(open, '', 'our stream to BinderHub is closed');
    // BinderHub: this step writes every 0.5 s, so its next write fails and it kills repo2docker.
    const dir = new URL(repo).pathname;
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = repo2dockerRuns(dir) === 0;
      if (!gone) await sleep(100);
    }
    assert.ok(
      gone,
      "BinderHub's repo2docker ends after the cancel (at its next write)"
    );
    assert.equal(labelsOf(build.image), null, 'no image of ours');
    const log = await readLog(service.url, service.headers(), build.id);
    assert.equal(log.events.at(-1)!.phase, 'cancelled');
  });

  it('refuses subdir (400 naming the field) before asking BinderHub', async () => {
    const repo = makeRepo(parent, 'subdir', 'echo x');
    const answer = await service.api('POST', '/api/builds', {
      repo,
      ref: 'main',
      subdir: 'docs'
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.field, 'subdir');
    assert.equal(startedBuilds(hub, 'subdir'), 0);
  });

  it('joins two identical requests into one upstream BinderHub build', async () => {
    const repo = makeRepo(
      parent,
      'joined',
      'echo one; /bin/busybox sleep 1; echo two'
    );
    const answers = await Promise.all(
      [0, 1].map(() =>
        service.api('POST', '/api/builds', { repo, ref: 'main' })
      )
    );
    assert.deepEqual(
      answers.map(a => a.status),
      [202, 202]
    );
    assert.equal(answers[0].body.id, answers[1].body.id, 'one build of ours');
    const build = await service.waitForBuild(answers[0].body.id);
    assert.equal(build.phase, 'built', build.error);
    made.push(build.image);
    assert.equal(startedBuilds(hub, 'joined'), 1, 'one BinderHub build');
  });

  it('two users, same repository: each gets an image in their own namespace, listed with the right owner', async () => {
    const repo = makeRepo(parent, 'shared-repo', 'echo both');
    // Local auth has one user per process: two service processes (alice, bob) on one engine
    // and one BinderHub. Both are admins in local mode, so visibility rules (non-admins see
    // only their own) are the hub tests'; here: names, labels and the owner filter.
    const bob = await startService('bob');
    try {
      const a = await service.api('POST', '/api/builds', { repo, ref: 'main' });
      const builtA = await service.waitForBuild(a.body.id);
      const b = await bob.api('POST', '/api/builds', { repo, ref: 'main' });
      assert.equal(
        b.status,
        202,
        "alice's image is not bob's: bob's build runs"
      );
      const builtB = await bob.waitForBuild(b.body.id);
      made.push(builtA.image, builtB.image);
      assert.equal(builtA.phase, 'built', builtA.error);
      assert.equal(builtB.phase, 'built', builtB.error);
      assert.match(builtA.image, /^r2d-alice\//);
      assert.match(builtB.image, /^r2d-bob\//);
      assert.equal(
        labelsOf(builtA.image)!['org.jupyter.repo2docker-service.owner'],
        'alice'
      );
      assert.equal(
        labelsOf(builtB.image)!['org.jupyter.repo2docker-service.owner'],
        'bob'
      );
      const listed = await service.api(
        'GET',
        `/api/images?repo=${encodeURIComponent(repo)}&owner=bob`
      );
      assert.equal(listed.status, 200);
      const items = listed.body.images;
      assert.deepEqual(
        items.map((image: { name: string; owner: string }) => [
          image.name,
          image.owner
        ]),
        [[builtB.image, 'bob']]
      );
    } finally {
      await bob.stop();
    }
  });

  it('timing: one fixture build through our service vs. asked of BinderHub directly (3 runs each)', async t => {
    const client = new BinderHubClient({ url: hub.url });
    const direct: number[] = [];
    const ours: number[] = [];
    for (let run = 0; run < 3; run++) {
      const repoA = makeRepo(parent, `time-direct-${run}`, 'echo timed');
      const commitA = execFileSync(
        'git',
        ['-C', new URL(repoA).pathname, 'rev-parse', 'HEAD'],
        { encoding: 'utf8' }
      ).trim();
      let t0 = Date.now();
      let last = '';
      for await (const update of client.build(
        { repo: repoA, ref: commitA },
        AbortSignal.timeout(120_000)
      )) {
        last = update.kind;
        if (update.kind === 'ready') {
          removeImage(update.imageName);
        }
      }
      direct.push(Date.now() - t0);
      assert.equal(last, 'ready');

      const repoB = makeRepo(parent, `time-ours-${run}`, 'echo timed');
      t0 = Date.now();
      const started = await service.api('POST', '/api/builds', {
        repo: repoB,
        ref: 'main'
      });
      const log = await readLog(
        service.url,
        service.headers(),
        started.body.id
      );
      ours.push(Date.now() - t0);
      assert.equal(log.events.at(-1)!.phase, 'built');
      made.push(
        (await service.api('GET', `/api/builds/${started.body.id}`)).body.image
      );
    }
    t.diagnostic(
      `BinderHub backend timing, request → final event: through our service ${ours.join(', ')} ms; BinderHub directly ${direct.join(', ')} ms`
    );
  });
});
