/**
 * Folder builds through the manager (POST /api/builds/upload after unpacking): they join and
 * answer "already built" by owner, name and digest, carry the folder's labels, and every upload
 * directory handed over is removed: at once when no new build takes it, else when that build
 * ends, whatever its end (built, failed, cancelled while queued or running, refused).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import type { BuildBackend, BuildSink } from '../../src/backends/backend.js';
import { BuildFailure } from '../../src/backends/backend.js';
import { LocalRepo2DockerBackend } from '../../src/backends/local-repo2docker.js';
import type {
  Repo2DockerJob,
  Repo2DockerRunner
} from '../../src/backends/repo2docker-run.js';
import type { UploadDir } from '../../src/backends/upload-dir.js';
import type { ValidFolderRequest } from '../../src/builds/folder-upload.js';
import { BuildManager } from '../../src/builds/manager.js';
import { fromLabels, LABEL, toImage } from '../../src/images/labels.js';
import type { ImageStore } from '../../src/images/store.js';
import { FakeEngine } from '../helpers/fake-engine.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

class Runner implements Repo2DockerRunner {
  jobs: Repo2DockerJob[] = [];
  failWith: string | null = null;
  constructor(
    private readonly engine: FakeEngine,
    public runMs = 40
  ) {}
  async run(job: Repo2DockerJob, _sink: BuildSink, signal: AbortSignal) {
    this.jobs.push(job);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, this.runMs);
      signal.addEventListener(
        'abort',
        () => (clearTimeout(timer), reject(signal.reason)),
        {
          once: true
        }
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

/** An upload directory that only counts its removals. */
function uploadDir(name: string): UploadDir & { removed: number } {
  const dir = {
    base: `/uploads/${name}`,
    src: `/uploads/${name}/src`,
    removed: 0,
    async remove() {
      dir.removed++;
    }
  };
  return dir;
}

const folderRequest = (
  overrides: Partial<ValidFolderRequest> = {}
): ValidFolderRequest => ({
  digest: DIGEST,
  path: 'projects/demo',
  name: null,
  displayName: null,
  force: false,
  ...overrides
});

function setup(backendOverride?: BuildBackend) {
  const engine = new FakeEngine(5);
  const runner = new Runner(engine);
  const manager = new BuildManager(
    {
      imageTemplate: 'r2d-{owner}/{name}',
      maxConcurrent: 1,
      maxConcurrentPerUser: 1,
      maxQueuedPerUser: 10,
      timeoutSeconds: 60,
      logs: { maxBuilds: 100, maxBytes: 1e7 }
    },
    backendOverride ??
      new LocalRepo2DockerBackend(runner, engine, {
        log: { info() {}, error() {} }
      }),
    engine as unknown as ImageStore,
    { resolve: async () => 'f'.repeat(40) },
    { info() {}, warn() {}, error() {} }
  );
  return { engine, runner, manager };
}

const untilFinal = async (manager: BuildManager) => {
  while (manager.history.active().length > 0) await sleep(5);
};

describe('BuildManager builds uploaded folders', () => {
  it('10 identical uploads at once: one build from the first directory, every directory removed', async () => {
    const { manager, runner } = setup();
    const dirs = Array.from({ length: 10 }, (_, i) => uploadDir(`u${i}`));
    const results = await Promise.all(
      dirs.map(dir => manager.submitFolder('alice', folderRequest(), dir))
    );
    assert.equal(new Set(results.map(r => r.build.id)).size, 1);
    assert.equal(results.filter(r => r.outcome === 'new').length, 1);
    const kept = dirs.filter(dir => dir.removed === 0);
    assert.equal(
      kept.length,
      1,
      'only the building upload keeps its directory'
    );
    await untilFinal(manager);
    assert.equal(runner.jobs.length, 1);
    assert.equal(
      runner.jobs[0].folder?.dir,
      kept[0].src,
      'repo2docker builds the upload directory'
    );
    assert.deepEqual(
      dirs.map(dir => dir.removed),
      Array(10).fill(1),
      'each removed once'
    );

    const build = results[0].build.toApi();
    assert.equal(build.image, `r2d-alice/demo:${'ab'.repeat(32)}`);
    assert.deepEqual(build.folder, { path: 'projects/demo', digest: DIGEST });
    assert.equal(build.repo, '');
    assert.equal(build.commit, '');
    const labels = runner.jobs[0].labels;
    assert.equal(labels[LABEL.source], 'folder');
    assert.equal(labels[LABEL.folderPath], 'projects/demo');
    assert.equal(labels[LABEL.folderDigest], DIGEST);
  });

  it('answers "already built" for the same owner, name and digest (not with force, not for other content)', async () => {
    const { manager, runner } = setup();
    await manager.submitFolder('alice', folderRequest(), uploadDir('first'));
    await untilFinal(manager);
    const again = uploadDir('again');
    const existing = await manager.submitFolder(
      'alice',
      folderRequest(),
      again
    );
    assert.equal(existing.outcome, 'existing');
    assert.equal(existing.build.alreadyBuilt, true);
    assert.equal(again.removed, 1);
    const forced = uploadDir('forced');
    assert.equal(
      (
        await manager.submitFolder(
          'alice',
          folderRequest({ force: true }),
          forced
        )
      ).outcome,
      'new'
    );
    const other = uploadDir('other');
    assert.equal(
      (
        await manager.submitFolder(
          'alice',
          folderRequest({ digest: `sha256:${'cd'.repeat(32)}` }),
          other
        )
      ).outcome,
      'new'
    );
    await untilFinal(manager);
    assert.equal(runner.jobs.length, 3);
    assert.equal(forced.removed + other.removed, 2);
    // Another owner's upload of the same content is theirs to build.
    const bob = uploadDir('bob');
    assert.equal(
      (await manager.submitFolder('bob', folderRequest(), bob)).outcome,
      'new'
    );
    await untilFinal(manager);
    assert.equal(bob.removed, 1);
  });

  it('removes the directory of a build cancelled while queued, or while running, or that failed', async () => {
    const { manager, runner } = setup();
    runner.runMs = 300;
    const running = uploadDir('running');
    const queued = uploadDir('queued');
    const first = await manager.submitFolder('alice', folderRequest(), running);
    const second = await manager.submitFolder(
      'alice',
      folderRequest({ digest: `sha256:${'ef'.repeat(32)}` }),
      queued
    );
    assert.equal(second.build.phase, 'queued');
    manager.cancel(second.build, 'alice');
    await sleep(10);
    assert.equal(queued.removed, 1, 'cancelled while queued');
    await sleep(50);
    manager.cancel(first.build, 'alice');
    await untilFinal(manager);
    assert.equal(first.build.phase, 'cancelled');
    assert.equal(running.removed, 1, 'cancelled while running');

    runner.runMs = 10;
    runner.failWith = 'repo2docker failed';
    const failing = uploadDir('failing');
    const failed = await manager.submitFolder(
      'alice',
      folderRequest({ digest: `sha256:${'01'.repeat(32)}` }),
      failing
    );
    await untilFinal(manager);
    assert.equal(failed.build.phase, 'failed');
    assert.equal(failing.removed, 1);
  });

  it('refuses with 501 on a backend that cannot build folders, and removes the directory', async () => {
    const backend: BuildBackend = {
      kind: 'binderhub',
      pushes: null,
      run: async () => {
        throw new Error('not reached');
      }
    };
    const { manager } = setup(backend);
    assert.equal(manager.buildsFolders, false);
    const dir = uploadDir('refused');
    await assert.rejects(
      manager.submitFolder('alice', folderRequest(), dir),
      (error: unknown) =>
        error instanceof ApiError &&
        error.status === 501 &&
        error.code === 'uploads_unsupported'
    );
    assert.equal(dir.removed, 1);
  });
});
