/**
 * The BinderHub backend's own logic with fakes at its two boundaries (the client, the engine):
 * event mapping, failure, refusal at submit, and what is cleaned up. The real thing:
 * test/integration/binderhub-backend.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { BuildFailure, type BuildJob } from '../../src/backends/backend.js';
import {
  BinderHubBackend,
  type BinderHubBuilder,
  type BinderHubEngine
} from '../../src/backends/binderhub.js';
import type { BinderHubUpdate } from '../../src/backends/binderhub-stream.js';

const job = (over: Partial<BuildJob> = {}): BuildJob => ({
  buildId: 'b1',
  repo: 'https://example.org/r.git',
  commit: 'a'.repeat(40),
  subdir: null,
  image: `r2d-alice/r:${'a'.repeat(40)}`,
  labels: { 'org.jupyter.repo2docker-service.owner': 'alice' },
  push: false,
  pushOnly: false,
  buildArgs: {},
  ...over
});

function fakes(updates: BinderHubUpdate[]) {
  const calls: string[] = [];
  const asked: Array<{ repo: string; ref: string }> = [];
  const client: BinderHubBuilder = {
    where: 'http://bh',
    async *build(request) {
      asked.push(request);
      yield* updates;
    },
    versions: async () => ({})
  };
  const engine: BinderHubEngine = {
    relabel: async (source, target, labels) =>
      void calls.push(
        `relabel ${source} ${target} ${labels['org.jupyter.repo2docker-service.owner']}`
      ),
    retag: async (source, target) =>
      void calls.push(`retag ${source} ${target}`),
    imageId: async reference =>
      reference.startsWith('bh/') ? 'sha256:theirs' : null,
    removeIfUntagged: async () => undefined,
    removeBuildArtifacts: async id => (
      calls.push(`cleanup ${id}`),
      { images: 0, containers: 0 }
    ),
    untag: async reference => void calls.push(`untag ${reference}`)
  };
  const backend = new BinderHubBackend(client, engine, {
    keepBinderHubImage: false,
    verifyLabels: async image => void calls.push(`verify ${image}`),
    instance: 'test',
    log: {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined
    }
  });
  return { backend, calls, asked };
}

describe('BinderHub backend (fakes at the boundary)', () => {
  it('asks by the commit, maps lines, names the image ours, drops BinderHub tag', async () => {
    const { backend, calls, asked } = fakes([
      {
        kind: 'line',
        phase: 'queued',
        message: 'Waiting for build to start...',
        progress: null
      },
      { kind: 'keepalive' },
      { kind: 'line', phase: 'building', message: 'Step 1', progress: null },
      {
        kind: 'ready',
        imageName: 'bh/x:abc',
        message: 'Done',
        alreadyBuilt: false
      }
    ]);
    const lines: Array<[string | null, string]> = [];
    const made = await backend.run(
      job(),
      { line: (phase, message) => lines.push([phase, message]) },
      new AbortController().signal
    );
    assert.equal(asked[0].ref, 'a'.repeat(40));
    assert.deepEqual(made.location, { engine: true, registry: false });
    assert.ok(
      lines.some(
        ([phase, message]) => phase === null && message.startsWith('Waiting')
      ),
      "BinderHub's wait is no return to our queue"
    );
    assert.ok(
      lines.some(
        ([phase, message]) => phase === 'building' && message === 'Step 1'
      )
    );
    const temp = `r2d-alice/r:build-b1`;
    assert.deepEqual(calls, [
      `relabel bh/x:abc ${temp} alice`,
      `verify ${temp}`,
      `retag ${temp} ${job().image}`,
      'untag bh/x:abc'
    ]);
  });

  it('a failed update is a BuildFailure with its sentence, and the build artifacts are cleaned', async () => {
    const { backend, calls } = fakes([
      {
        kind: 'failed',
        error: 'the RUN step failed',
        message: 'exit 3',
        statusCode: null,
        traceback: 'Traceback…'
      }
    ]);
    const lines: string[] = [];
    await assert.rejects(
      backend.run(
        job(),
        { line: (_phase, message) => lines.push(message) },
        new AbortController().signal
      ),
      (error: unknown) =>
        error instanceof BuildFailure && error.message === 'the RUN step failed'
    );
    assert.ok(lines.includes('exit 3'));
    assert.ok(
      lines.every(line => !line.includes('Traceback')),
      'the traceback is for operators only'
    );
    assert.deepEqual(calls, ['cleanup b1'], 'nothing was named ours');
  });

  it("two owners' builds of one commit: BinderHub's one name is removed by the last to finish only", async () => {
    const ready: BinderHubUpdate = {
      kind: 'ready',
      imageName: 'bh/x:abc',
      message: 'Done',
      alreadyBuilt: false
    };
    const { backend, calls } = fakes([ready]);
    // dave's BinderHub stream ends only after alice's build is ours.
    let release!: () => void;
    const gate = new Promise<void>(resolve => (release = resolve));
    const client = (backend as unknown as { client: BinderHubBuilder }).client;
    const plain = client.build.bind(client);
    let requests = 0;
    client.build = async function* (request, signal) {
      if (requests++ === 0) {
        await gate; // the first asked (dave's) answers last
      }
      yield* plain(request, signal);
    };
    const sink = { line: () => undefined };
    const signal = new AbortController().signal;
    const daveJob = job({
      buildId: 'b2',
      image: `r2d-dave/r:${'a'.repeat(40)}`,
      labels: { 'org.jupyter.repo2docker-service.owner': 'dave' }
    });
    const daves = backend.run(daveJob, sink, signal);
    await backend.run(job(), sink, signal);
    assert.ok(
      !calls.includes('untag bh/x:abc'),
      "alice's build leaves BinderHub's name to dave's"
    );
    release();
    await daves;
    assert.equal(calls.at(-1), 'untag bh/x:abc');
    assert.equal(calls.filter(call => call.startsWith('untag')).length, 1);
  });

  describe('with a registry (BinderHub pushes there, as binderhub-service does)', () => {
    function withRegistry(
      found: { owner: string } | null,
      engineRelabel: 'absent' | 'fails' = 'absent'
    ) {
      const { calls, asked } = fakes([]);
      const ready: BinderHubUpdate = {
        kind: 'ready',
        imageName: 'reg:5000/bh/x:abc',
        message: 'Done',
        alreadyBuilt: true
      };
      const client: BinderHubBuilder = {
        where: 'http://bh',
        async *build(request) {
          asked.push(request);
          yield ready;
        },
        versions: async () => ({})
      };
      const engine = {
        relabel: async () => {
          calls.push('engine relabel');
          throw new BuildFailure('the engine refused');
        },
        retag: async () => undefined,
        // 'absent': BinderHub's image is not in our engine (build pods elsewhere).
        imageId: async (reference: string) =>
          engineRelabel === 'fails' && reference.startsWith('reg:5000/bh/')
            ? 'sha256:theirs'
            : null,
        removeIfUntagged: async () => undefined,
        removeBuildArtifacts: async () => ({ images: 0, containers: 0 }),
        untag: async () => undefined
      };
      const backend = new BinderHubBackend(client, engine, {
        registry: {
          host: 'reg:5000',
          url: 'http://reg:5000',
          pushByDefault: false,
          copyTag: async (source, target) => (
            calls.push(`copy ${source} ${target}`),
            true
          ),
          relabel: async (reference, labels) => (
            calls.push(
              `relabel ${reference} ${labels['org.jupyter.repo2docker-service.owner']}`
            ),
            true
          ),
          find: async reference => (calls.push(`find ${reference}`), found),
          remove: async reference => (calls.push(`remove ${reference}`), true)
        },
        keepBinderHubImage: false,
        verifyLabels: async () => undefined,
        instance: 'test',
        log: {
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined
        }
      });
      return { backend, calls };
    }
    const ours = `reg:5000/r2d-alice/r:${'a'.repeat(40)}`;
    const sink = { line: () => undefined };

    it('puts BinderHub manifest under our name, labels it, reads it back as ours', async () => {
      const { backend, calls } = withRegistry({ owner: 'alice' });
      assert.deepEqual(backend.pushes, {
        url: 'http://reg:5000',
        pushByDefault: false
      });
      const made = await backend.run(
        job({ image: ours, push: true }),
        sink,
        new AbortController().signal
      );
      assert.deepEqual(made.location, { engine: false, registry: true });
      assert.deepEqual(calls, [
        `copy reg:5000/bh/x:abc ${ours}`,
        `relabel ${ours} alice`,
        `find ${ours}`
      ]);
    });

    it('in the engine too, and the engine step fails: the registry copy of ours is removed', async () => {
      const { backend, calls } = withRegistry({ owner: 'alice' }, 'fails');
      await assert.rejects(
        backend.run(job({ image: ours }), sink, new AbortController().signal),
        BuildFailure
      );
      assert.deepEqual(calls.slice(-2), ['engine relabel', `remove ${ours}`]);
    });

    it('not read back as ours (wrong owner): our name is removed and the build fails', async () => {
      const { backend, calls } = withRegistry({ owner: 'mallory' });
      await assert.rejects(
        backend.run(job({ image: ours }), sink, new AbortController().signal),
        BuildFailure
      );
      assert.equal(calls.at(-1), `remove ${ours}`);
    });
  });

  it('a push asked for, but BinderHub has no registry of ours: a failure saying where to push', async () => {
    const { backend } = fakes([
      {
        kind: 'ready',
        imageName: 'bh/x:abc',
        message: 'Done',
        alreadyBuilt: false
      }
    ]);
    await assert.rejects(
      backend.run(
        job({ push: true }),
        { line: () => undefined },
        new AbortController().signal
      ),
      (error: unknown) =>
        error instanceof BuildFailure &&
        /configure BinderHub to push there/.test(error.message)
    );
  });

  it('refuses subdir, build arguments and credentials at submit, naming the field', () => {
    const { backend } = fakes([]);
    for (const [request, field] of [
      [{ subdir: 'docs' }, 'subdir'],
      [{ subdir: null, buildArgs: { A: '1' } }, 'buildArgs'],
      [
        { subdir: null, credentials: { username: 'u', token: 't' } },
        'credentials'
      ]
    ] as const) {
      assert.throws(
        () => backend.checkRequest(request),
        (error: unknown) =>
          error instanceof ApiError &&
          error.status === 400 &&
          error.extra.field === field
      );
    }
    assert.doesNotThrow(() =>
      backend.checkRequest({ subdir: null, buildArgs: {} })
    );
  });
});
