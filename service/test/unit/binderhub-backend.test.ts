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
    imageId: async () => null,
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
