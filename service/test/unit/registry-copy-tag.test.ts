/**
 * RegistryStore.copyTag (the BinderHub backend's registry path) against a fake distribution API
 * at the fetch boundary: blobs are mounted, never uploaded, and the manifest is put unchanged
 * under the target. The real docker-registry: test/integration/binderhub-registry.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RegistryError, RegistryStore } from '../../src/registry/registry.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const digest = (c: string): string => `sha256:${c.repeat(64)}`;
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: DOCKER_MANIFEST,
  config: { mediaType: 'x', size: 10, digest: digest('c') },
  layers: [
    { mediaType: 'l', size: 5, digest: digest('a') },
    { mediaType: 'l', size: 6, digest: digest('b') }
  ]
});

function fakeRegistry(mountStatus = 201) {
  const calls: string[] = [];
  let put: { type: string | null; body: string } | null = null;
  const fetchImpl = (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${url.pathname}${url.search}`);
    if (method === 'GET' && url.pathname === '/v2/bh/x/manifests/abc') {
      return new Response(MANIFEST, {
        headers: { 'content-type': DOCKER_MANIFEST }
      });
    }
    if (method === 'GET' && url.pathname.includes('/manifests/')) {
      return new Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', {
        status: 404
      });
    }
    if (method === 'POST' && url.searchParams.has('mount')) {
      return new Response('', {
        status: mountStatus,
        headers: { location: '/v2/r2d-alice/r/blobs/uploads/u1' }
      });
    }
    if (method === 'PUT' && url.pathname === '/v2/r2d-alice/r/manifests/abc') {
      const headers = new Headers(init?.headers);
      put = {
        type: headers.get('content-type'),
        body: Buffer.from(init!.body as Uint8Array).toString('utf8')
      };
      return new Response('', { status: 201 });
    }
    return new Response('unexpected', { status: 500 });
  }) as typeof fetch;
  const store = new RegistryStore({
    url: 'http://reg:5000',
    prefix: '',
    template: 'r2d-{owner}/{name}',
    credentials: null,
    fetch: fetchImpl
  });
  return { store, calls, put: () => put };
}

describe('RegistryStore.copyTag', () => {
  it('mounts the config and every layer from the source repository, then puts the same manifest under the target', async () => {
    const { store, calls, put } = fakeRegistry();
    assert.equal(
      await store.copyTag('reg:5000/bh/x:abc', 'reg:5000/r2d-alice/r:abc'),
      true
    );
    const mounts = calls.filter(call => call.includes('mount='));
    assert.deepEqual(
      mounts.map(call =>
        new URL(`http://h${call.split(' ')[1]}`).searchParams.get('mount')
      ),
      [digest('c'), digest('a'), digest('b')]
    );
    assert.ok(
      mounts.every(
        call =>
          call.startsWith('POST /v2/r2d-alice/r/blobs/uploads/') &&
          call.includes('from=bh%2Fx')
      ),
      mounts.join('\n')
    );
    assert.ok(
      !calls.some(call => call.startsWith('PATCH')),
      'no bytes uploaded'
    );
    assert.deepEqual(put(), { type: DOCKER_MANIFEST, body: MANIFEST });
  });

  it('false when the source is not in the registry; nothing mounted', async () => {
    const { store, calls } = fakeRegistry();
    assert.equal(
      await store.copyTag('reg:5000/bh/gone:abc', 'reg:5000/r2d-alice/r:abc'),
      false
    );
    assert.equal(calls.filter(call => call.includes('mount=')).length, 0);
  });

  it('a registry that opens an upload instead of mounting (202) is an error, and no manifest is put', async () => {
    const { store, put } = fakeRegistry(202);
    await assert.rejects(
      store.copyTag('reg:5000/bh/x:abc', 'reg:5000/r2d-alice/r:abc'),
      RegistryError
    );
    assert.equal(put(), null);
  });

  it('refuses a name of another registry', async () => {
    const { store } = fakeRegistry();
    await assert.rejects(
      store.copyTag('elsewhere:5000/bh/x:abc', 'reg:5000/r2d-alice/r:abc'),
      /is not an image in the registry reg:5000/
    );
  });
});
