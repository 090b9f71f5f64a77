/**
 * The JupyterHub authenticator against a stand-in for the hub's `GET /user` on loopback (a unit
 * test at the HTTP boundary; the real hub is exercised by the integration tests of the hub issue).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { TooManyRequests } from '../../src/auth/failure-limiter.js';
import {
  identityFromHub,
  JupyterHubAuthenticator
} from '../../src/auth/jupyterhub.js';
import { namespaceFor } from '../../src/images/naming.js';
import { ACCESS } from '../helpers/scopes.js';

describe('identityFromHub', () => {
  it('maps scopes to permissions; admin implies build implies read', () => {
    const admin = identityFromHub(
      { name: 'a', scopes: [ACCESS, 'custom:repo2docker:admin'] },
      'repo2docker'
    );
    assert.deepEqual(admin.permissions, {
      access: true,
      read: true,
      build: true,
      admin: true
    });
    const builder = identityFromHub(
      { name: 'b', scopes: [ACCESS, 'custom:repo2docker:build'] },
      'repo2docker'
    );
    assert.deepEqual(builder.permissions, {
      access: true,
      read: true,
      build: true,
      admin: false
    });
    const reader = identityFromHub(
      { name: 'r', scopes: [ACCESS, 'custom:repo2docker:read'] },
      'repo2docker'
    );
    assert.deepEqual(reader.permissions, {
      access: true,
      read: true,
      build: false,
      admin: false
    });
    const none = identityFromHub(
      { name: 'n', scopes: ['self'] },
      'repo2docker'
    );
    assert.deepEqual(none.permissions, {
      access: false,
      read: false,
      build: false,
      admin: false
    });
    const otherService = identityFromHub(
      { name: 'o', scopes: ['access:services!service=other'] },
      'repo2docker'
    );
    assert.equal(otherService.permissions.access, false);
    assert.equal(
      identityFromHub({ name: 'u', scopes: ['access:services'] }, 'repo2docker')
        .permissions.access,
      true
    );
  });
});

describe('JupyterHubAuthenticator', () => {
  let hub: Server;
  let url = '';
  let calls = 0;
  const tokens: Record<string, object> = {
    alice: {
      kind: 'user',
      name: 'alice',
      admin: false,
      scopes: [ACCESS, 'custom:repo2docker:build']
    },
    'svc-alice': {
      kind: 'service',
      name: 'alice',
      admin: false,
      scopes: [ACCESS, 'custom:repo2docker:build']
    },
    slashed: {
      kind: 'user',
      name: 'service/alice',
      admin: false,
      scopes: [ACCESS, 'custom:repo2docker:build']
    }
  };

  before(async () => {
    hub = createServer((req, res) => {
      calls++;
      const token = /^token (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (req.url !== '/hub/api/user' || !token || !tokens[token]) {
        res.writeHead(403).end('{}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(tokens[token]));
    });
    hub.listen(0, '127.0.0.1');
    await once(hub, 'listening');
    url = `http://127.0.0.1:${(hub.address() as { port: number }).port}/hub/api`;
  });
  after(() => hub.close());

  const make = (cacheSeconds = 60, cacheMaxEntries = 100) =>
    new JupyterHubAuthenticator({
      apiUrl: url,
      apiToken: 'service-token',
      serviceName: 'repo2docker',
      cacheSeconds,
      cacheMaxEntries
    });

  it('accepts a token the hub knows, as token or Bearer, and caches the answer', async () => {
    const auth = make();
    const before = calls;
    const identity = await auth.authenticate({
      headers: { authorization: 'token alice' }
    });
    assert.equal(identity.name, 'alice');
    assert.equal(identity.permissions.build, true);
    await auth.authenticate({ headers: { authorization: 'Bearer alice' } });
    assert.equal(calls - before, 1, 'second lookup answered from the cache');
    assert.equal(auth.hits, 1);
    assert.equal(auth.misses, 1);
  });

  it('asks again once the cache entry expired', async () => {
    const auth = make(0);
    const before = calls;
    await auth.authenticate({ headers: { authorization: 'token alice' } });
    await auth.authenticate({ headers: { authorization: 'token alice' } });
    assert.equal(calls - before, 2);
  });

  it('refuses a missing or unknown token with 401', async () => {
    const auth = make();
    await assert.rejects(
      auth.authenticate({ headers: {} }),
      (e: ApiError) => e.status === 401
    );
    await assert.rejects(
      auth.authenticate({ headers: { authorization: 'token bogus' } }),
      (e: ApiError) => e.status === 401
    );
  });

  it('keeps at most cacheMaxEntries identities', async () => {
    for (let i = 0; i < 5; i++)
      tokens[`user${i}`] = { name: `user${i}`, scopes: [ACCESS] };
    const auth = make(60, 2);
    for (let i = 0; i < 5; i++)
      await auth.authenticate({ headers: { authorization: `token user${i}` } });
    const before = calls;
    await auth.authenticate({ headers: { authorization: 'token user4' } });
    assert.equal(calls, before, 'the newest entry is kept');
    await auth.authenticate({ headers: { authorization: 'token user0' } });
    assert.equal(calls, before + 1, 'the oldest entry was evicted');
  });

  it('caches refused tokens briefly, apart from the good ones', async () => {
    const auth = make(60, 2);
    await auth.authenticate({ headers: { authorization: 'token alice' } });
    const before = calls;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        auth.authenticate({ headers: { authorization: 'token bogus-1' } }),
        (e: ApiError) => e.status === 401
      );
    }
    assert.equal(calls - before, 1, 'the second refusal came from the cache');
    for (let i = 0; i < 10; i++) {
      await assert.rejects(
        auth.authenticate({
          headers: { authorization: `token flood-${i}` },
          client: `c${i}`
        })
      );
    }
    const afterFlood = calls;
    await auth.authenticate({ headers: { authorization: 'token alice' } });
    assert.equal(
      calls,
      afterFlood,
      'refused tokens did not push the good one out of its cache'
    );
    const expiring = new JupyterHubAuthenticator({
      apiUrl: url,
      apiToken: 'x',
      serviceName: 'repo2docker',
      cacheSeconds: 60,
      cacheMaxEntries: 10,
      refusedCacheSeconds: 0
    });
    const start = calls;
    await assert.rejects(
      expiring.authenticate({ headers: { authorization: 'token bogus-2' } })
    );
    await assert.rejects(
      expiring.authenticate({ headers: { authorization: 'token bogus-2' } })
    );
    assert.equal(
      calls - start,
      2,
      'once expired, a refused token is asked about again'
    );
  });

  it('makes one hub call for concurrent lookups of one token', async () => {
    const auth = make();
    const before = calls;
    const identities = await Promise.all(
      Array.from({ length: 20 }, () =>
        auth.authenticate({ headers: { authorization: 'token alice' } })
      )
    );
    assert.equal(calls - before, 1);
    assert.ok(identities.every(identity => identity.name === 'alice'));
    const refusals = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        auth.authenticate({ headers: { authorization: 'token nobody' } })
      )
    );
    assert.equal(calls - before, 2, 'a refused token too');
    assert.ok(
      refusals.every(
        r => r.status === 'rejected' && (r.reason as ApiError).status === 401
      )
    );
  });

  it('answers 429 without a hub call once a client has failed too often; others and cached tokens go on', async () => {
    const auth = new JupyterHubAuthenticator({
      apiUrl: url,
      apiToken: 'x',
      serviceName: 'repo2docker',
      cacheSeconds: 60,
      cacheMaxEntries: 100,
      failureLimit: { maxFailures: 5, windowSeconds: 60 }
    });
    await auth.authenticate({
      headers: { authorization: 'token alice' },
      client: '203.0.113.9'
    });
    const before = calls;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        auth.authenticate({
          headers: { authorization: `token random-${i}` },
          client: '203.0.113.9'
        })
      )
    );
    assert.equal(calls - before, 5, 'five hub calls for thirty random tokens');
    const limited = results.filter(
      r => r.status === 'rejected' && r.reason instanceof TooManyRequests
    );
    assert.equal(limited.length, 25);
    const error = (limited[0] as PromiseRejectedResult)
      .reason as TooManyRequests;
    assert.equal(error.status, 429);
    assert.ok(error.retryAfterSeconds > 0 && error.retryAfterSeconds <= 60);
    assert.equal(
      (
        await auth.authenticate({
          headers: { authorization: 'token alice' },
          client: '203.0.113.9'
        })
      ).name,
      'alice',
      'a cached good token passes'
    );
    await assert.rejects(
      auth.authenticate({
        headers: { authorization: 'token random-x' },
        client: '198.51.100.1'
      }),
      (e: ApiError) => e.status === 401
    );
    assert.equal(calls - before, 6, 'another client is still asked about');
  });

  it("names a hub service's identity so that it never owns what the user of that name owns", async () => {
    const auth = make();
    const service = await auth.authenticate({
      headers: { authorization: 'token svc-alice' }
    });
    const user = await auth.authenticate({
      headers: { authorization: 'token alice' }
    });
    assert.equal(service.kind, 'service');
    assert.equal(service.name, 'service/alice');
    assert.equal(user.kind, 'user');
    assert.notEqual(service.name, user.name);
    assert.notEqual(
      namespaceFor(service.name, false),
      namespaceFor(user.name, false)
    );
    // A user named like a service's owner name cannot exist on a hub; if one is reported, refuse it.
    await assert.rejects(
      auth.authenticate({ headers: { authorization: 'token slashed' } }),
      (e: ApiError) => e.status === 401
    );
  });

  it('answers 503, never a pass, when the hub does not answer', async () => {
    const auth = new JupyterHubAuthenticator({
      apiUrl: 'http://127.0.0.1:1/hub/api',
      apiToken: 'x',
      serviceName: 'repo2docker',
      cacheSeconds: 10,
      cacheMaxEntries: 10
    });
    await assert.rejects(
      auth.authenticate({ headers: { authorization: 'token alice' } }),
      (e: ApiError) => e.status === 503
    );
  });
});
