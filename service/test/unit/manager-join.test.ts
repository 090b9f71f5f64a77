/**
 * Identical requests join one build whatever the timing: while the ref is being resolved, while
 * the "already built?" lookup runs, and once the build is queued. On fakes that delay at each
 * await, so every interleaving the real engine could produce is forced here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import type { BuildSink } from '../../src/backends/backend.js';
import { BuildFailure } from '../../src/backends/backend.js';
import { LocalRepo2DockerBackend } from '../../src/backends/local-repo2docker.js';
import type {
  Repo2DockerJob,
  Repo2DockerRunner
} from '../../src/backends/repo2docker-run.js';
import { BuildManager } from '../../src/builds/manager.js';
import { INSTANCE_LABEL, currentInstance } from '../../src/docker/instance.js';
import { fromLabels, toImage } from '../../src/images/labels.js';
import type { ImageStore } from '../../src/images/store.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { makeRequest } from '../helpers/unit-builds.js';

const COMMIT = 'fedcba9876543210fedcba9876543210fedcba98';
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** repo2docker's run under the real local backend (which tags, retags and cleans up on the fake engine). */
class CountingBackend implements Repo2DockerRunner {
  runs = 0;
  jobs: Repo2DockerJob[] = [];
  lines: string[] = [];
  failWith: string | null = null;
  constructor(
    private readonly engine: FakeEngine,
    private readonly runMs: number
  ) {}
  async run(
    job: Repo2DockerJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<void> {
    this.runs++;
    this.jobs.push(job);
    for (const line of this.lines) sink.line('building', line, null);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.runMs);
      signal.addEventListener(
        'abort',
        () => (clearTimeout(timer), reject(signal.reason)),
        { once: true }
      );
    });
    if (this.failWith) throw new BuildFailure(this.failWith);
    const labels = fromLabels(job.labels)!;
    this.engine.images.set(
      job.image,
      toImage(job.image, labels, 1, { engine: true, registry: false })
    );
  }
}

const request = makeRequest;

function setup({ resolveMs = 20, findMs = 20, runMs = 50 } = {}) {
  const engine = new FakeEngine(findMs);
  const backend = new CountingBackend(engine, runMs);
  let resolves = 0;
  const manager = new BuildManager(
    {
      imageTemplate: 'r2d-{owner}/{name}',
      maxConcurrent: 2,
      maxConcurrentPerUser: 2,
      maxQueuedPerUser: 10,
      timeoutSeconds: 60,
      logs: { maxBuilds: 100, maxBytes: 1e7 }
    },
    new LocalRepo2DockerBackend(backend, engine, {
      log: { info() {}, error() {} }
    }),
    engine as unknown as ImageStore,
    {
      resolve: async () => {
        resolves++;
        await sleep(resolveMs * Math.random());
        return COMMIT;
      }
    },
    { info() {}, warn() {}, error() {} }
  );
  return { engine, backend, manager, resolves: () => resolves };
}

const untilFinal = async (manager: BuildManager) => {
  while (manager.history.active().length > 0) await sleep(5);
};

describe('BuildManager joins identical requests', () => {
  it('20 identical requests at once: one build, one run, one resolution, one lookup', async () => {
    const { manager, backend, engine, resolves } = setup();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => manager.submit('alice', request()))
    );
    assert.equal(new Set(results.map(r => r.build.id)).size, 1);
    assert.deepEqual(
      results.map(r => r.outcome).sort(),
      ['joined', ...Array(18).fill('joined'), 'new'].sort()
    );
    await untilFinal(manager);
    assert.equal(backend.runs, 1);
    assert.equal(resolves(), 1);
    assert.equal(
      engine.finds,
      2,
      'one "already built?" lookup, one check of the made image'
    );
  });

  it('requests arriving at random moments during resolve, lookup and build all join', async () => {
    for (let round = 0; round < 5; round++) {
      const { manager, backend } = setup({
        resolveMs: 30,
        findMs: 30,
        runMs: 80
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => {
          await sleep(Math.random() * 100);
          return manager.submit('alice', request());
        })
      );
      assert.equal(
        new Set(results.map(r => r.build.id)).size,
        1,
        `round ${round}`
      );
      await untilFinal(manager);
      assert.equal(backend.runs, 1, `round ${round}`);
    }
  });

  it('identical requests while the image already exists all get "existing", nothing is built', async () => {
    const { manager, backend } = setup();
    await manager.submit('alice', request());
    await untilFinal(manager);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => manager.submit('alice', request()))
    );
    assert.ok(results.every(r => r.outcome === 'existing'));
    assert.equal(backend.runs, 1);
  });

  it('different owners, subdirs or names are different targets', async () => {
    const { manager, backend } = setup();
    const results = await Promise.all([
      manager.submit('alice', request()),
      manager.submit('bob', request()),
      manager.submit('alice', request({ subdir: 'docs' })),
      manager.submit('alice', request({ name: 'other' }))
    ]);
    assert.equal(new Set(results.map(r => r.build.id)).size, 4);
    await untilFinal(manager);
    assert.equal(backend.runs, 4);
  });

  it("a force request during another request's lookup joins the build that lookup queues", async () => {
    const { manager, backend } = setup();
    const [a, b] = await Promise.all([
      manager.submit('alice', request()),
      manager.submit('alice', request({ force: true }))
    ]);
    assert.equal(a.build.id, b.build.id);
    await untilFinal(manager);
    assert.equal(backend.runs, 1);
  });

  it("marks the build's artifacts with this process's instance label", async () => {
    const { manager, backend } = setup();
    await manager.submit('alice', request());
    await untilFinal(manager);
    assert.equal(backend.jobs[0].labels[INSTANCE_LABEL], currentInstance());
    assert.match(currentInstance(), /^.+:\d+:\d+$/);
  });
});

describe('BuildManager shutdown and failures', () => {
  it('shutdown cancels queued and running builds, then refuses new ones with 503', async () => {
    const { manager } = setup({ runMs: 10_000 });
    const running = (await manager.submit('alice', request({ name: 'a' })))
      .build;
    const alsoRunning = (await manager.submit('alice', request({ name: 'b' })))
      .build;
    const queued = (await manager.submit('alice', request({ name: 'c' })))
      .build;
    await sleep(30);
    assert.equal(queued.phase, 'queued');
    const started = Date.now();
    assert.equal(await manager.shutdown({ waitMs: 2000 }), true);
    assert.ok(Date.now() - started < 1000);
    for (const build of [running, alsoRunning, queued]) {
      assert.equal(build.phase, 'cancelled');
      assert.match(
        build.eventsAfter(0, 1000).at(-1)!.message,
        /service stopping/
      );
    }
    await assert.rejects(
      manager.submit('alice', request({ name: 'd' })),
      (error: ApiError) =>
        error.status === 503 && error.code === 'service_stopping'
    );
  });

  it('shutdown gives up waiting after waitMs when a build does not stop', async () => {
    const { manager, backend } = setup();
    // Takes a second to notice its signal (a hung engine call, say).
    backend.run = async (_job, _sink, signal) =>
      new Promise<void>((_, reject) =>
        signal.addEventListener(
          'abort',
          () => setTimeout(() => reject(signal.reason), 1000),
          { once: true }
        )
      );
    await manager.submit('alice', request());
    await sleep(30);
    const started = Date.now();
    assert.equal(await manager.shutdown({ waitMs: 200 }), false);
    assert.ok(Date.now() - started < 600);
  });

  it("a failed step is reported in plain words, not as repo2docker's exception", async () => {
    const { manager, backend } = setup();
    backend.lines = [
      '#6 [3/3] RUN make',
      '#6 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 3'
    ];
    backend.failWith =
      "Error during build: Command '['docker', 'buildx', 'build', '--label', 'x=y']' returned non-zero exit status 1.";
    const { build } = await manager.submit('alice', request());
    await untilFinal(manager);
    assert.equal(build.phase, 'failed');
    assert.equal(build.error, 'step 3/3 `RUN make` exited with code 3');
  });

  it('a build failing while the engine is gone says so in one sentence', async () => {
    const { manager, backend, engine } = setup();
    backend.failWith =
      "Error during build: Command '['docker', 'buildx', 'build']' returned non-zero exit status 1.";
    const { build } = await manager.submit('alice', request());
    await sleep(20);
    engine.up = false;
    await untilFinal(manager);
    assert.equal(
      build.error,
      'the Docker engine stopped answering during the build'
    );
  });
});
