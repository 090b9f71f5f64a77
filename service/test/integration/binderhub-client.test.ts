/**
 * The BinderHub client against a real BinderHub (scripts/start-binderhub.sh: API-only, local
 * repo2docker builds on this engine) with real fixture repositories. Also measures what BinderHub
 * itself does, which the backend must live with (the figures are printed as test diagnostics).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  BinderHubClient,
  BinderHubError,
  buildUrl
} from '../../src/backends/binderhub-client.js';
import {
  BinderHubStreamParser,
  type BinderHubUpdate
} from '../../src/backends/binderhub-stream.js';
import {
  BinderHubProcess,
  fixtureParent,
  makeRepo
} from '../helpers/binderhub.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';

const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms));

interface Timed {
  at: number;
  update: BinderHubUpdate;
}

/** Runs one build to its end, with the time (ms since the request) of every update. */
async function collect(
  client: BinderHubClient,
  repo: string,
  ref = 'HEAD',
  signal = new AbortController().signal
): Promise<Timed[]> {
  const start = Date.now();
  const out: Timed[] = [];
  for await (const update of client.build({ repo, ref }, signal)) {
    out.push({ at: Date.now() - start, update });
  }
  return out;
}

const commitOf = (repo: string): string =>
  execFileSync('git', ['-C', new URL(repo).pathname, 'rev-parse', 'HEAD'], {
    encoding: 'utf8'
  }).trim();

const lines = (timed: Timed[]): string[] =>
  timed.flatMap(t => (t.update.kind === 'line' ? [t.update.message] : []));

/** A GET without `Accept`, on a connection of its own that ends with the answer. */
async function plainGet(
  url: string
): Promise<{ status: number; body: string }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    httpGet(url, { agent: false }, resolve).on('error', reject);
  });
  response.setEncoding('utf8');
  let body = '';
  for await (const chunk of response) {
    body += chunk;
  }
  return { status: response.statusCode ?? 0, body };
}

/** Our open TCP connections to BinderHub's port (the client side of them). */
function connectionsTo(port: string): number {
  const out = execFileSync(
    'ss',
    ['-tnH', 'state', 'established', `( dport = :${port} )`],
    { encoding: 'utf8' }
  ).trim();
  return out === '' ? 0 : out.split('\n').length;
}

/** The processes of a build of `repoDir`: BinderHub's repo2docker, and the buildx it started. */
function buildProcesses(repoDir: string): {
  repo2docker: number;
  buildx: number;
} {
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['-f', '--', repoDir], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    // none
  }
  let repo2docker = 0;
  let buildx = 0;
  for (const pid of pids) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile
    }
    if (argv.some(arg => arg.endsWith('jupyter-repo2docker'))) {
      repo2docker++;
    } else if (argv.some(arg => arg.endsWith('docker-buildx'))) {
      buildx++; // the plugin process; `docker buildx build` (the CLI) is its parent
    }
  }
  return { repo2docker, buildx };
}

/** Polls until `done()` or `ms` pass; answers the time it took, or null. */
async function timeUntil(
  done: () => boolean,
  ms: number
): Promise<number | null> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (done()) {
      return Date.now() - start;
    }
    await sleep(100);
  }
  return null;
}

describe(
  'BinderHub client against a real BinderHub',
  { timeout: 600_000 },
  () => {
    const hub = new BinderHubProcess();
    let client: BinderHubClient;
    let fixtures: Fixtures;
    let parent: string;
    let port: string;

    before(async () => {
      requireRealParts();
      fixtures = makeFixtures(10); // also makes sure busybox-static is there
      parent = fixtureParent();
      await hub.start();
      port = new URL(hub.url).port;
      client = new BinderHubClient({ url: hub.url });
    });

    after(async () => {
      await hub.stop();
      for (const dir of [parent, fixtures?.dir]) {
        if (dir) {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      assert.deepEqual(
        hub.images(),
        [],
        'every image this BinderHub built is removed'
      );
    });

    it('answers /versions (it has no /health without a JupyterHub)', async () => {
      const versions = await client.versions();
      assert.equal(
        typeof (versions.builder_info as Record<string, unknown>)[
          'repo2docker-version'
        ],
        'string'
      );
    });

    it('streams a build as it happens and ends with the image, named by its prefix and the commit', async t => {
      const repo = makeRepo(
        parent,
        'streamed',
        'echo first-line; /bin/busybox sleep 2; echo second-line'
      );
      const commit = commitOf(repo);
      const timed = await collect(client, repo);
      const end = timed.at(-1)!;
      assert.equal(end.update.kind, 'ready');
      assert.ok(end.update.kind === 'ready');
      assert.equal(end.update.alreadyBuilt, false);
      assert.ok(
        end.update.imageName.startsWith(hub.imagePrefix),
        end.update.imageName
      );
      assert.ok(
        end.update.imageName.endsWith(`:${commit}`),
        'tagged with the resolved commit'
      );
      assert.deepEqual(
        hub.images(),
        [end.update.imageName],
        'the image is in the local engine'
      );

      const phases = [
        ...new Set(
          timed.flatMap(x =>
            x.update.kind === 'line' && x.update.phase ? [x.update.phase] : []
          )
        )
      ];
      assert.deepEqual(phases, ['queued', 'fetching', 'building']);
      const first = timed.find(
        x => x.update.kind === 'line' && / first-line$/.test(x.update.message)
      );
      const second = timed.find(
        x => x.update.kind === 'line' && / second-line$/.test(x.update.message)
      );
      assert.ok(first && second, 'the RUN step output is relayed');
      assert.ok(
        second.at - first.at >= 1500,
        `lines arrive as they are printed (${second.at - first.at} ms apart)`
      );
      assert.ok(
        end.at - second.at >= 900,
        "BinderHub's local builder waits ~1 s after the last line"
      );
      t.diagnostic(
        `streamed build: first output at ${first.at} ms, last at ${second.at} ms, ready at ${end.at} ms`
      );
    });

    it('answers "already built" at once for an image it has, without building', async t => {
      const timed = await collect(client, fixtures.ok); // builds it the first time
      assert.equal(timed.at(-1)?.update.kind, 'ready');
      const again = await collect(client, fixtures.ok);
      assert.equal(again.length, 1, 'nothing but the answer');
      const [only] = again;
      assert.ok(only.update.kind === 'ready');
      assert.equal(only.update.alreadyBuilt, true);
      assert.ok(only.at < 3000, `${only.at} ms`);
      assert.equal(connectionsTo(port), 0);
      t.diagnostic(`already built: answered in ${only.at} ms`);
    });

    it('ends a failing build failed, naming the step, and closes the stream BinderHub leaves open', async t => {
      const start = Date.now();
      const timed = await collect(client, fixtures.fail);
      const end = timed.at(-1)!.update;
      assert.ok(end.kind === 'failed');
      assert.match(end.error, /exited with code 3$/);
      assert.match(
        end.traceback ?? '',
        /Traceback/,
        'the traceback is kept apart, not in the message'
      );
      assert.doesNotMatch(end.message, /Traceback/);
      assert.ok(lines(timed).some(line => / about to fail$/.test(line)));
      assert.ok(
        Date.now() - start < 30_000,
        'no wait for a close that never comes'
      );
      assert.equal(
        (await timeUntil(() => connectionsTo(port) === 0, 2000)) !== null,
        true,
        'our side closed the connection'
      );
      t.diagnostic(`failed build: ended after ${Date.now() - start} ms`);
    });

    it("reports BinderHub's refusals: an unknown ref, a protocol it does not allow, a missing Accept header", async () => {
      const [ref] = await collect(client, fixtures.ok, 'no-such-ref');
      assert.ok(ref.update.kind === 'failed');
      assert.match(ref.update.error, /Could not resolve ref/);

      const [protocol] = await collect(client, 'ftp://127.0.0.1/x', 'HEAD');
      assert.ok(protocol.update.kind === 'failed');
      assert.match(protocol.update.error, /protocol ftp not in/);

      // What any client without `Accept: text/event-stream` gets: a 200 whose one event fails.
      const response = await plainGet(
        buildUrl(hub.url, 'git', { repo: fixtures.ok, ref: 'HEAD' })
      );
      assert.equal(response.status, 200);
      const parser = new BinderHubStreamParser();
      const updates = [...parser.feed(response.body), ...parser.end()];
      assert.equal(updates.length, 1);
      const [refused] = updates;
      assert.ok(refused.kind === 'failed');
      assert.equal(refused.statusCode, 400);
      assert.match(
        refused.error,
        /^BinderHub refused the build \(HTTP 400\): Missing Accept header/
      );
    });

    it('cancel stops our side at once; BinderHub stops the build at its next log line', async t => {
      const dir = `${parent}/ticking`;
      const repo = makeRepo(
        parent,
        'ticking',
        'i=0; while [ $i -lt 40 ]; do echo tick-$i; /bin/busybox usleep 500000; i=$((i+1)); done'
      );
      const controller = new AbortController();
      const reason = new Error('cancelled by the test');
      let abortedAt = 0;
      await assert.rejects(async () => {
        for await (const update of client.build(
          { repo, ref: 'HEAD' },
          controller.signal
        )) {
          if (update.kind === 'line' && / tick-2$/.test(update.message)) {
            abortedAt = Date.now();
            controller.abort(reason);
          }
        }
      }, reason);
      const ourStop = Date.now() - abortedAt;
      assert.ok(ourStop < 500, `our side stopped in ${ourStop} ms`);
      assert.notEqual(
        await timeUntil(() => connectionsTo(port) === 0, 1000),
        null,
        'the connection is closed'
      );
      const atCancel = buildProcesses(dir);
      assert.equal(
        atCancel.repo2docker,
        1,
        'repo2docker still runs when we cancel'
      );

      const repo2dockerGone = await timeUntil(
        () => buildProcesses(dir).repo2docker === 0,
        15_000
      );
      const buildxGone = await timeUntil(
        () => buildProcesses(dir).buildx === 0,
        15_000
      );
      assert.notEqual(
        repo2dockerGone,
        null,
        'BinderHub kills repo2docker once a write fails'
      );
      assert.notEqual(
        buildxGone,
        null,
        'buildx ends too (its output pipe is gone) while the step prints'
      );
      await sleep(1000);
      assert.deepEqual(
        hub.images().filter(image => image.includes('-2fticking-')),
        [],
        'no image from the cancelled build'
      );
      t.diagnostic(
        `cancel (chatty step): our side ${ourStop} ms; after it repo2docker gone in ${repo2dockerGone} ms, buildx gone ${buildxGone} ms later`
      );
    });

    it('cancel of a quiet step: BinderHub notices nothing until the step prints again', async t => {
      const dir = `${parent}/quiet`;
      const repo = makeRepo(
        parent,
        'quiet',
        'echo going-quiet; /bin/busybox sleep 8; i=0; while [ $i -lt 20 ]; do echo tock-$i; /bin/busybox usleep 500000; i=$((i+1)); done'
      );
      const controller = new AbortController();
      let abortedAt = 0;
      await assert.rejects(async () => {
        for await (const update of client.build(
          { repo, ref: 'HEAD' },
          controller.signal
        )) {
          if (update.kind === 'line' && / going-quiet$/.test(update.message)) {
            abortedAt = Date.now();
            controller.abort(new Error('cancelled'));
          }
        }
      }, /cancelled/);
      assert.ok(Date.now() - abortedAt < 500, 'our side stops at once');
      await sleep(5000);
      const quiet = buildProcesses(dir);
      assert.equal(
        quiet.repo2docker,
        1,
        'repo2docker runs on 5 s after the cancel: BinderHub has not written since'
      );
      assert.equal(quiet.buildx, 1, 'and so does buildx');
      const gone = await timeUntil(() => {
        const now = buildProcesses(dir);
        return now.repo2docker === 0 && now.buildx === 0;
      }, 20_000);
      assert.notEqual(gone, null, 'they end once the step prints again');
      const afterCancel = Date.now() - abortedAt;
      assert.ok(
        afterCancel >= 7500,
        `not before the step's next line (${afterCancel} ms after the cancel)`
      );
      await sleep(1000);
      assert.deepEqual(
        hub.images().filter(image => image.includes('-2fquiet-')),
        [],
        'killed when the step printed again, before it could finish'
      );
      t.diagnostic(
        `cancel (quiet step, 8 s silence): repo2docker and buildx ran on for ${afterCancel} ms after the cancel`
      );
    });

    it('runs two builds for two identical concurrent requests (no joining in BinderHub)', async t => {
      const repo = makeRepo(
        parent,
        'twice',
        'echo started; /bin/busybox sleep 2; echo finished'
      );
      const before = (hub.log().match(/Starting build: .*\/twice$/gm) ?? [])
        .length;
      const [a, b] = await Promise.all([
        collect(client, repo),
        collect(client, repo)
      ]);
      for (const timed of [a, b]) {
        assert.equal(timed.at(-1)?.update.kind, 'ready');
      }
      const clone = (timed: Timed[]): string | undefined =>
        lines(timed).find(line => line.startsWith('Cloning into'));
      assert.ok(clone(a) && clone(b));
      assert.notEqual(clone(a), clone(b), 'two checkouts');
      const startedBuilds =
        (hub.log().match(/Starting build: .*\/twice$/gm) ?? []).length - before;
      assert.equal(startedBuilds, 2, 'two repo2docker runs');
      const names = [a, b].map(
        timed => (timed.at(-1)!.update as { imageName: string }).imageName
      );
      assert.equal(
        names[0],
        names[1],
        'one image name: the second build re-tags over the first'
      );
      // BuildKit on the one engine may merge the two identical solves: then only one stream shows
      // the RUN step and its output, the other jumps to "exporting to image".
      const ran = [a, b].map(timed =>
        lines(timed).some(line => / started$/.test(line))
      );
      assert.ok(ran.includes(true), 'the step ran');
      t.diagnostic(
        `two identical requests: two repo2docker runs, two checkouts, ready at ${a.at(-1)!.at} and ${b.at(-1)!.at} ms; ` +
          `the RUN step's output in ${ran.filter(Boolean).length} of the 2 streams`
      );
    });

    it('measures one fixture build asked of BinderHub directly (request to final event), 3 runs', async t => {
      const times: number[] = [];
      for (let run = 0; run < 3; run++) {
        const repo = makeRepo(
          parent,
          `timed-${run}`,
          'echo hello from the ok fixture; /bin/busybox mkdir -p /srv && echo built > /srv/marker'
        );
        // As the backend asks: by the resolved commit (BinderHub then skips its `git ls-remote`).
        const timed = await collect(client, repo, commitOf(repo));
        assert.equal(timed.at(-1)?.update.kind, 'ready');
        assert.ok(
          lines(timed).some(line => / hello from the ok fixture$/.test(line)),
          'built, not found'
        );
        times.push(timed.at(-1)!.at);
      }
      t.diagnostic(
        `BinderHub direct, one fixture build: ${times.join(' ms, ')} ms`
      );
      assert.ok(times.every(ms => ms < 60_000));
    });

    it('says in plain words that a BinderHub does not answer', async () => {
      await hub.stop();
      await assert.rejects(
        collect(client, fixtures.ok),
        (error: unknown) =>
          error instanceof BinderHubError &&
          error.message ===
            `BinderHub at ${hub.url} did not answer (ECONNREFUSED)`
      );
    });
  }
);
