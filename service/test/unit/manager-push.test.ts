/**
 * The build manager and the local backend with a registry, on fakes (no engine, no registry): when a build pushes, the
 * `pushing` phase and its progress, a failed push that keeps the image, push-only builds for
 * images built without a push, and the already-built answer from the registry.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Image } from '../../src/api/contract.js';
import { ApiError } from '../../src/api/errors.js';
import type { BuildSink } from '../../src/backends/backend.js';
import {
  PushFailure,
  type PushLine,
  type PushTarget
} from '../../src/backends/engine-push.js';
import { LocalRepo2DockerBackend } from '../../src/backends/local-repo2docker.js';
import type {
  Repo2DockerJob,
  Repo2DockerRunner
} from '../../src/backends/repo2docker-run.js';
import type { BuildRecord } from '../../src/builds/build-record.js';
import { BuildManager } from '../../src/builds/manager.js';
import { fromLabels, toImage } from '../../src/images/labels.js';
import type { ImageStore } from '../../src/images/store.js';
import { FakeEngine } from '../helpers/fake-engine.js';
import { makeRequest } from '../helpers/unit-builds.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const HOST = '127.0.0.1:5000';

/** The shared fake, which also lists and removes, and records and drops a build's leftovers. */
class PushEngine extends FakeEngine {
  cleaned: string[] = [];
  async list(): Promise<Image[]> {
    return [...this.images.values()];
  }
  async remove(reference: string): Promise<boolean> {
    return this.images.delete(reference);
  }
  override async removeBuildArtifacts(
    buildId: string
  ): Promise<{ images: number; containers: number }> {
    this.cleaned.push(buildId);
    for (const [name, image] of this.images) {
      if (image.buildId === buildId) this.images.delete(name);
    }
    return { images: 0, containers: 0 };
  }
}

/** repo2docker's run, under the real local backend (which retags and pushes on the fakes). */
class FakeBackend implements Repo2DockerRunner {
  runs = 0;
  /** Builds wait for this before they finish. */
  hold: Promise<void> = Promise.resolve();
  constructor(private readonly engine: PushEngine) {}
  async run(job: Repo2DockerJob, sink: BuildSink): Promise<void> {
    this.runs++;
    sink.line('building', '#5 [1/1] RUN echo hi', { current: 1, total: 1 });
    await this.hold;
    const labels = fromLabels(job.labels)!;
    this.engine.images.set(
      job.image,
      toImage(job.image, labels, 100, { engine: true, registry: false })
    );
  }
}

class FakePusher implements PushTarget {
  readonly url = `http://${HOST}`;
  readonly host = HOST;
  pushed: string[] = [];
  failWith: string | null = null;
  hang = false;
  constructor(readonly pushByDefault = false) {}
  async push(
    reference: string,
    report: (line: PushLine) => void,
    signal: AbortSignal
  ): Promise<{ digest: string | null }> {
    report({
      message: 'abc: Pushing 1.0 kB / 2.0 kB',
      progress: { current: 0, total: 1 }
    });
    if (this.hang) {
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), {
          once: true
        })
      );
    }
    if (this.failWith) {
      throw new PushFailure(this.failWith);
    }
    report({ message: 'abc: Pushed', progress: { current: 1, total: 1 } });
    this.pushed.push(reference);
    return { digest: `sha256:${'d'.repeat(64)}` };
  }
}

const request = makeRequest;

function setup(
  options: { pusher?: FakePusher | null; registryImages?: Image[] } = {}
) {
  const engine = new PushEngine();
  const backend = new FakeBackend(engine);
  const pusher =
    options.pusher === undefined ? new FakePusher() : options.pusher;
  const registryImages = options.registryImages ?? [];
  // What the merged store gives: the engine's image with where it lives.
  const images: ImageStore = {
    list: async () => [],
    remove: async () => false,
    find: async reference => {
      const local = await engine.find(reference);
      const remote =
        registryImages.find(image => image.name === reference) ?? null;
      if (local)
        return {
          ...local,
          location: {
            engine: true,
            registry:
              remote?.buildId === local.buildId ||
              pusher?.pushed.includes(reference) === true
          }
        };
      return remote
        ? { ...remote, location: { engine: false, registry: true } }
        : null;
    }
  };
  const log = { info() {}, warn() {}, error() {} };
  const manager = new BuildManager(
    {
      imageTemplate: 'r2d-{owner}/{name}',
      repositoryPrefix: pusher ? `${HOST}/` : '',
      maxConcurrent: 2,
      maxConcurrentPerUser: 2,
      maxQueuedPerUser: 10,
      timeoutSeconds: 60,
      logs: { maxBuilds: 100, maxBytes: 1e7 }
    },
    new LocalRepo2DockerBackend(backend, engine, { pusher, log }),
    images,
    { resolve: async () => COMMIT },
    log
  );
  return { engine, backend, pusher, manager };
}

async function finished(build: BuildRecord): Promise<BuildRecord> {
  while (!build.isFinal) {
    await new Promise(resolve => setTimeout(resolve, 5));
  }
  return build;
}

const events = (build: BuildRecord) => build.eventsAfter(0, 1000);

describe('BuildManager with a registry', () => {
  it('names images for the registry and pushes after the retag, with a pushing phase and progress', async () => {
    const { manager, pusher, engine } = setup();
    const { build, outcome } = await manager.submit(
      'alice',
      request({ push: true })
    );
    assert.equal(outcome, 'new');
    assert.equal(build.spec.image, `${HOST}/r2d-alice/env:${COMMIT}`);
    await finished(build);
    assert.equal(build.phase, 'built');
    assert.deepEqual(pusher!.pushed, [build.spec.image]);
    assert.ok(engine.images.has(build.spec.image));
    const pushing = events(build).filter(event => event.phase === 'pushing');
    assert.equal(
      pushing[0].message,
      `Pushing ${build.spec.image} to http://${HOST}`
    );
    assert.deepEqual(pushing.at(-1)!.progress, { current: 1, total: 1 });
    assert.match(
      events(build).at(-1)!.message,
      /^Built and pushed .* \(sha256:d+\)$/
    );
  });

  it('does not push unless asked, or by default when the registry is set so', async () => {
    const plain = setup();
    const { build } = await plain.manager.submit('alice', request());
    await finished(build);
    assert.equal(build.spec.push, false);
    assert.deepEqual(plain.pusher!.pushed, []);
    const byDefault = setup({ pusher: new FakePusher(true) });
    const second = await byDefault.manager.submit('alice', request());
    await finished(second.build);
    assert.equal(second.build.spec.push, true);
    assert.equal(byDefault.pusher!.pushed.length, 1);
    const optedOut = await byDefault.manager.submit(
      'alice',
      request({ name: 'other', push: false })
    );
    await finished(optedOut.build);
    assert.equal(optedOut.build.spec.push, false);
  });

  it('refuses push: true without a registry', async () => {
    const { manager } = setup({ pusher: null });
    await assert.rejects(
      manager.submit('alice', request({ push: true })),
      (error: ApiError) => error.status === 400 && error.extra.field === 'push'
    );
  });

  it('fails a build whose push fails, keeping the image', async () => {
    const { manager, pusher, engine } = setup();
    pusher!.failWith =
      "the registry 127.0.0.1:5000 refused the service's credentials (it said: unauthorized)";
    const { build } = await manager.submit('alice', request({ push: true }));
    await finished(build);
    assert.equal(build.phase, 'failed');
    assert.equal(build.error, `push failed: ${pusher!.failWith}`);
    assert.match(
      events(build).at(-1)!.message,
      /kept in the Docker engine, not pushed$/
    );
    assert.ok(engine.images.has(build.spec.image), 'image kept');
    assert.deepEqual(engine.cleaned, [], 'no cleanup of a complete image');
  });

  it('cancels a push and keeps the image', async () => {
    const { manager, pusher, engine } = setup();
    pusher!.hang = true;
    const { build } = await manager.submit('alice', request({ push: true }));
    while (build.phase !== 'pushing')
      await new Promise(resolve => setTimeout(resolve, 5));
    manager.cancel(build, 'alice');
    await finished(build);
    assert.equal(build.phase, 'cancelled');
    assert.match(
      events(build).at(-1)!.message,
      /^Push cancelled: .* not pushed$/
    );
    assert.ok(engine.images.has(build.spec.image));
  });

  it('pushes an image built without a push when asked later, without building again', async () => {
    const { manager, pusher, backend } = setup();
    const first = await manager.submit('alice', request());
    await finished(first.build);
    const second = await manager.submit('alice', request({ push: true }));
    assert.equal(second.outcome, 'new');
    await finished(second.build);
    assert.equal(second.build.phase, 'built');
    assert.equal(backend.runs, 1, 'built once');
    assert.deepEqual(pusher!.pushed, [first.build.spec.image]);
    assert.ok(
      !events(second.build).some(
        event => event.phase === 'building' || event.phase === 'fetching'
      )
    );
    const third = await manager.submit('alice', request({ push: true }));
    assert.equal(third.outcome, 'existing', 'now in the registry');
  });

  it('pushes a build under way when a joining request asks for a push', async () => {
    const { manager, pusher, backend } = setup();
    let release = (): void => {};
    backend.hold = new Promise(resolve => (release = resolve));
    const first = await manager.submit('alice', request());
    assert.equal(first.build.spec.push, false);
    while (first.build.phase !== 'building')
      await new Promise(resolve => setTimeout(resolve, 5));
    const joined = await manager.submit('alice', request({ push: true }));
    assert.equal(joined.outcome, 'joined');
    assert.equal(joined.build, first.build);
    assert.equal(first.build.spec.push, true);
    release();
    await finished(first.build);
    assert.equal(first.build.phase, 'built');
    assert.deepEqual(pusher!.pushed, [first.build.spec.image]);
  });

  it('answers from the registry when the engine does not have the image', async () => {
    const labels = {
      owner: 'alice',
      shared: false,
      repo: 'https://example.org/env.git',
      ref: 'main',
      commit: COMMIT,
      subdir: null,
      name: 'env',
      displayName: 'Env',
      buildId: 'old',
      builtAt: '2026-01-01T00:00:00.000Z',
      private: false,
      buildArgs: [],
      buildArgsDigest: '',
      folder: null
    };
    const remote = toImage(`${HOST}/r2d-alice/env:${COMMIT}`, labels, null, {
      engine: false,
      registry: true
    });
    const { manager, backend } = setup({ registryImages: [remote] });
    const { build, outcome } = await manager.submit('alice', request());
    assert.equal(outcome, 'existing');
    assert.equal(build.alreadyBuilt, true);
    assert.equal(build.spec.displayName, 'Env');
    assert.match(
      events(build).at(-1)!.message,
      /already exists in the registry/
    );
    assert.equal(backend.runs, 0);
  });
});
