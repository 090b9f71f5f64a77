/**
 * The build manager with a private repository's credentials and with build arguments, on fakes
 * (the real local backend over a fake repo2docker run and engine): where the credentials go (the
 * ref lookup and the run, nowhere else: not the record, the answer, the log or a label), who is
 * told "already built" about a private image, and what "already built" compares of build args.
 * Local mode has one user, so "another user" is only reachable here and in the shared namespace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GitCredentials } from '../../src/api/contract.js';
import type { BuildSink } from '../../src/backends/backend.js';
import { LocalRepo2DockerBackend } from '../../src/backends/local-repo2docker.js';
import type {
  Repo2DockerJob,
  Repo2DockerRunner
} from '../../src/backends/repo2docker-run.js';
import type { BuildRecord } from '../../src/builds/build-record.js';
import { BuildManager } from '../../src/builds/manager.js';
import type { ValidBuildRequest } from '../../src/builds/validate.js';
import {
  buildArgsDigest,
  fromLabels,
  LABEL,
  toImage
} from '../../src/images/labels.js';
import type { ImageStore } from '../../src/images/store.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { makeRequest } from '../helpers/unit-builds.js';

const COMMIT = 'c'.repeat(40);
const PASSWORD = 'tok-5ecret-0123456789';
const CREDENTIALS: GitCredentials = { username: 'alice', password: PASSWORD };

class RecordingRun implements Repo2DockerRunner {
  jobs: Repo2DockerJob[] = [];
  /** Runs wait for this before they finish. */
  hold: Promise<void> = Promise.resolve();
  constructor(private readonly engine: FakeEngine) {}
  async run(job: Repo2DockerJob, sink: BuildSink): Promise<void> {
    this.jobs.push(job);
    sink.line('building', '#5 [1/1] RUN echo hi', { current: 1, total: 1 });
    await this.hold;
    this.engine.images.set(
      job.image,
      toImage(job.image, fromLabels(job.labels)!, 1, {
        engine: true,
        registry: false
      })
    );
  }
}

const request = (overrides: Partial<ValidBuildRequest> = {}) =>
  makeRequest({ repo: 'https://git.example.org/team/env.git', ...overrides });

function setup() {
  const engine = new FakeEngine();
  const run = new RecordingRun(engine);
  const resolved: (GitCredentials | null | undefined)[] = [];
  const images: ImageStore = {
    list: async () => [],
    remove: async () => false,
    find: reference => engine.find(reference)
  };
  const logged: unknown[] = [];
  const log = {
    info: (...args: unknown[]) => logged.push(args),
    warn: (...args: unknown[]) => logged.push(args),
    error: (...args: unknown[]) => logged.push(args)
  };
  const manager = new BuildManager(
    {
      imageTemplate: 'r2d-{owner}/{name}',
      maxConcurrent: 2,
      maxConcurrentPerUser: 2,
      maxQueuedPerUser: 10,
      timeoutSeconds: 60,
      logs: { maxBuilds: 100, maxBytes: 1e7 }
    },
    new LocalRepo2DockerBackend(run, engine, { log }),
    images,
    {
      resolve: async (_repo, _ref, credentials) => {
        resolved.push(credentials);
        return COMMIT;
      }
    },
    log
  );
  return { engine, run, resolved, manager, logged };
}

function ended(build: BuildRecord): Promise<void> {
  return new Promise(resolve => {
    const check = (): void => {
      if (build.isFinal) {
        stop();
        resolve();
      }
    };
    const stop = build.subscribe(check);
    check();
  });
}

describe('build manager: private repositories', () => {
  it('gives the credentials to the ref lookup and the run only: not the record, the answer, the log, a label or the service log', async () => {
    const { manager, run, resolved, engine, logged } = setup();
    const { build, outcome } = await manager.submit(
      'alice',
      request({ credentials: CREDENTIALS })
    );
    assert.equal(outcome, 'new');
    await ended(build);
    assert.equal(build.phase, 'built', build.error ?? '');
    assert.deepEqual(resolved, [CREDENTIALS]);
    assert.equal(run.jobs.length, 1);
    assert.deepEqual(run.jobs[0].credentials, CREDENTIALS);
    const everything = JSON.stringify([
      build.spec,
      build.toApi(),
      build.eventsAfter(0, 1000),
      run.jobs[0].labels,
      [...engine.images.values()],
      manager.history.all?.() ?? null,
      logged
    ]);
    assert.ok(
      !everything.includes(PASSWORD),
      'the password is nowhere the record, answer, log, labels or service log reach'
    );
    assert.equal(build.toApi().private, true);
    assert.equal(run.jobs[0].labels[LABEL.private], 'true');
    // No property of the record holds them either (the manager keeps them beside it, then drops them).
    assert.ok(!JSON.stringify(Object.entries(build)).includes(PASSWORD));
  });

  it('answers "already built" about a private image to its owner only', async () => {
    const { manager, run } = setup();
    // The shared namespace: one image name for every admin, so bob would reach alice's image.
    const first = await manager.submit(
      'alice',
      request({ shared: true, credentials: CREDENTIALS })
    );
    await ended(first.build);
    assert.equal(first.build.phase, 'built');
    const again = await manager.submit(
      'alice',
      request({ shared: true, credentials: CREDENTIALS })
    );
    assert.equal(again.outcome, 'existing');
    assert.equal(again.build.toApi().alreadyBuilt, true);
    const bob = await manager.submit('bob', request({ shared: true }));
    assert.equal(
      bob.outcome,
      'new',
      'bob is not told the private image exists'
    );
    assert.equal(bob.build.toApi().alreadyBuilt, false);
    await ended(bob.build);
    assert.equal(run.jobs.length, 2);
    assert.equal(
      run.jobs[1].credentials,
      undefined,
      "bob's build has no credentials of alice's"
    );
  });

  it('a public image is answered to anyone as before', async () => {
    const { manager } = setup();
    const first = await manager.submit('alice', request({ shared: true }));
    await ended(first.build);
    assert.equal(
      (await manager.submit('bob', request({ shared: true }))).outcome,
      'existing'
    );
  });
});

describe('build manager: build arguments', () => {
  it('labels names and a digest, never the values; same args are already built, other values build anew', async () => {
    const { manager, run } = setup();
    const args = { GREETING: 'hello-value-1', A: 'x' };
    const first = await manager.submit('alice', request({ buildArgs: args }));
    await ended(first.build);
    assert.equal(first.build.phase, 'built');
    const job = run.jobs[0];
    assert.deepEqual(job.buildArgs, args);
    assert.equal(job.labels[LABEL.buildArgs], 'A,GREETING');
    assert.equal(job.labels[LABEL.buildArgsDigest], buildArgsDigest(args));
    assert.match(job.labels[LABEL.buildArgsDigest], /^sha256:[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(job.labels).includes('hello-value-1'));
    assert.deepEqual(
      first.build.toApi().buildArgs,
      args,
      "the build's details show them"
    );

    // The order given does not matter.
    assert.equal(
      (
        await manager.submit(
          'alice',
          request({ buildArgs: { A: 'x', GREETING: 'hello-value-1' } })
        )
      ).outcome,
      'existing'
    );
    const other = await manager.submit(
      'alice',
      request({ buildArgs: { A: 'x', GREETING: 'hello-value-2' } })
    );
    assert.equal(other.outcome, 'new');
    await ended(other.build);
    const none = await manager.submit('alice', request());
    assert.equal(none.outcome, 'new', 'no build args differs from some');
    await ended(none.build);
    assert.equal(run.jobs.length, 3);
  });

  it('a request with other values does not join a build under way with different ones', async () => {
    const { manager, run } = setup();
    let release = (): void => undefined;
    run.hold = new Promise(resolve => (release = resolve));
    const a = await manager.submit('alice', request({ buildArgs: { V: '1' } }));
    const b = await manager.submit('alice', request({ buildArgs: { V: '2' } }));
    const c = await manager.submit('alice', request({ buildArgs: { V: '1' } }));
    assert.notEqual(a.build.id, b.build.id);
    assert.equal(c.outcome, 'joined');
    assert.equal(c.build.id, a.build.id);
    release();
    await Promise.all([ended(a.build), ended(b.build)]);
  });

  it('the digest: order-free, value-sensitive, empty for none', () => {
    assert.equal(buildArgsDigest({}), '');
    assert.equal(
      buildArgsDigest({ A: '1', B: '2' }),
      buildArgsDigest({ B: '2', A: '1' })
    );
    assert.notEqual(
      buildArgsDigest({ A: '1,B=2' }),
      buildArgsDigest({ A: '1', B: '2' })
    );
  });
});
