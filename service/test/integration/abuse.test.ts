/**
 * A hostile hub user against the real service behind a real JupyterHub (the example config,
 * through scripts/start-hub.sh): what bad tokens, floods of requests and many open streams may
 * cost, and what they may not do to other users.
 *
 * Hub calls are counted by a transparent HTTP forwarder on loopback between the service and the
 * hub (the service's `auth.hubApiUrl` points at it; it forwards every request unchanged to the
 * hub's proxy, which routes /hub/ to the real hub). Nothing is faked: every answer is the hub's.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { imagesOfBuild, removeImage } from '../helpers/docker-cli.js';
import { buildThroughHub, HubProcess } from '../helpers/hub.js';
import { freePort, jsonCall } from '../helpers/net.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';
import { BUILD } from '../helpers/scopes.js';

const ALLOWED_ORIGIN = 'http://allowed.example';
const MAX_FAILURES = 20;

/** Forwards every request to `target` as it came; counts the hub's `GET /hub/api/user` calls. */
class CountingForwarder {
  userCalls = 0;
  target = '';
  port = 0;
  private server: Server | null = null;

  async start(): Promise<this> {
    this.port = await freePort();
    this.server = createServer((req, res) => {
      if ((req.url ?? '').split('?')[0].endsWith('/hub/api/user')) {
        this.userCalls++;
      }
      if (!this.target) {
        res.writeHead(502).end();
        return;
      }
      const upstream = httpRequest(
        `${this.target}${req.url}`,
        { method: req.method, headers: req.headers },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    this.server?.close();
  }
}

describe('a hostile hub user against the service behind a real JupyterHub', () => {
  let fixtures: Fixtures;
  let hub: HubProcess;
  const forwarder = new CountingForwarder();
  const tokens: Record<'alice' | 'dave' | 'admin', string> = {
    alice: '',
    dave: '',
    admin: ''
  };
  /** The service's own address, as the hub's proxy reaches it (for clients "behind" the proxy). */
  let direct = '';
  const made = new Set<string>();
  let aliceBuild: any;

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    await forwarder.start();
    hub = new HubProcess({
      serviceConfig: {
        auth: {
          cacheSeconds: 1,
          hubApiUrl: `http://127.0.0.1:${forwarder.port}/hub/api`,
          failureLimit: { maxFailures: MAX_FAILURES, windowSeconds: 60 }
        },
        corsOrigins: [ALLOWED_ORIGIN],
        logs: { maxBuilds: 20, maxStreamsPerUser: 3, maxStreams: 5 }
      }
    });
    // No token is checked before the hub is up (its start only probes the public /health).
    await hub.start();
    forwarder.target = hub.url;
    for (const user of ['alice', 'dave', 'admin'] as const) {
      tokens[user] = await hub.token(user);
    }
    const service = await jsonCall(
      `${hub.url}/hub/api/services/repo2docker`,
      'GET',
      { authorization: `token ${tokens.admin}` }
    );
    assert.equal(
      service.status,
      200,
      `the hub names the service's URL to its admin: ${JSON.stringify(service.body)}`
    );
    direct = String(service.body.url).replace(/\/$/, '');
    assert.match(direct, /^http:\/\/127\.0\.0\.1:\d+$/);

    aliceBuild = await buildThroughHub(
      hub,
      tokens.alice,
      { repo: fixtures.ok, ref: 'main' },
      made
    );
  });

  after(async () => {
    await hub?.stop();
    await forwarder.stop();
    made.forEach(removeImage);
  });

  it('streams the log with CORS headers for a listed origin, and without them for another', async () => {
    const listed = await fetch(
      `${hub.serviceUrl}/api/builds/${aliceBuild.id}/logs`,
      {
        headers: {
          authorization: `token ${tokens.alice}`,
          accept: 'text/event-stream',
          origin: ALLOWED_ORIGIN
        }
      }
    );
    assert.equal(listed.status, 200);
    assert.equal(
      listed.headers.get('content-type'),
      'text/event-stream; charset=utf-8'
    );
    assert.equal(
      listed.headers.get('access-control-allow-origin'),
      ALLOWED_ORIGIN
    );
    assert.match(listed.headers.get('vary') ?? '', /origin/i);
    assert.match(
      await listed.text(),
      /hello from the ok fixture/,
      'and the log itself'
    );

    const unlisted = await fetch(
      `${hub.serviceUrl}/api/builds/${aliceBuild.id}/logs`,
      {
        headers: {
          authorization: `token ${tokens.alice}`,
          accept: 'text/event-stream',
          origin: 'http://evil.example'
        }
      }
    );
    assert.equal(unlisted.status, 200);
    assert.equal(unlisted.headers.get('access-control-allow-origin'), null);
    await unlisted.text();

    // Exactly as a JSON route answers the same origins.
    const json = await fetch(`${hub.serviceUrl}/api/builds/${aliceBuild.id}`, {
      headers: {
        authorization: `token ${tokens.alice}`,
        origin: ALLOWED_ORIGIN
      }
    });
    assert.equal(
      json.headers.get('access-control-allow-origin'),
      ALLOWED_ORIGIN
    );
  });

  it("leaves alice's finished log readable after dave's 500 already-built requests", async () => {
    const first = await hub.api(tokens.dave, 'POST', '/api/builds', {
      repo: fixtures.ok,
      ref: 'main'
    });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    made.add(first.body.image);
    assert.equal(
      (await hub.waitForBuild(tokens.dave, first.body.id)).phase,
      'built'
    );
    const started = Date.now();
    const statuses = new Map<number, number>();
    let next = 0;
    // Ten at a time, as a script would.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 500) {
          next++;
          const { status, body } = await hub.api(
            tokens.dave,
            'POST',
            '/api/builds',
            { repo: fixtures.ok, ref: 'main' }
          );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (status === 200) {
            assert.equal(body.alreadyBuilt, true);
          }
        }
      })
    );
    console.log(
      `# 500 already-built requests in ${Date.now() - started} ms: ${JSON.stringify(Object.fromEntries(statuses))}`
    );
    assert.deepEqual(Object.fromEntries(statuses), { 200: 500 });

    const build = await hub.api(
      tokens.alice,
      'GET',
      `/api/builds/${aliceBuild.id}`
    );
    assert.equal(build.status, 200);
    assert.equal(build.body.logAvailable, true);
    const log = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.alice}` },
      aliceBuild.id
    );
    assert.equal(log.status, 200, 'not 410: the log is still kept');
    assert.ok(
      log.events.some(event =>
        event.message.includes('hello from the ok fixture')
      )
    );
    assert.equal(log.events.at(-1)!.phase, 'built');
    // dave's own real build log too: answers cost no slot, not even the asker's.
    const daveLog = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.dave}` },
      first.body.id
    );
    assert.equal(daveLog.status, 200);
  });

  it('caps open log streams per user and in all (429 with Retry-After and a JSON body)', async () => {
    const started = await hub.api(tokens.alice, 'POST', '/api/builds', {
      repo: fixtures.slow
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    made.add(started.body.image);
    const id = started.body.id;
    const open: AbortController[] = [];
    const openStream = async (token: string): Promise<Response> => {
      const controller = new AbortController();
      const response = await fetch(`${hub.serviceUrl}/api/builds/${id}/logs`, {
        headers: {
          authorization: `token ${token}`,
          accept: 'text/event-stream'
        },
        signal: controller.signal
      });
      if (response.status === 200) {
        open.push(controller);
      } else {
        await response.text().catch(() => undefined);
      }
      return response;
    };
    const expectRefused = async (
      token: string,
      pattern: RegExp
    ): Promise<void> => {
      const response = await fetch(`${hub.serviceUrl}/api/builds/${id}/logs`, {
        headers: {
          authorization: `token ${token}`,
          accept: 'text/event-stream'
        }
      });
      assert.equal(response.status, 429);
      assert.match(response.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(
        response.headers.get('content-type') ?? '',
        /application\/json/
      );
      const body = (await response.json()) as {
        error: { code: string; message: string };
      };
      assert.equal(body.error.code, 'too_many_streams');
      assert.match(body.error.message, pattern);
    };
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await openStream(tokens.alice)).status,
          200,
          `alice's stream ${i + 1}`
        );
      }
      await expectRefused(
        tokens.alice,
        /you already have 3 log streams open \(limit 3\)/
      );
      // The admin may read alice's build: his own cap is untouched, until the total is reached.
      for (let i = 0; i < 2; i++) {
        assert.equal(
          (await openStream(tokens.admin)).status,
          200,
          `admin's stream ${i + 1}`
        );
      }
      await expectRefused(tokens.admin, /the service has 5 log streams open/);
      // Closing a stream gives its place back.
      open.shift()!.abort();
      const deadline = Date.now() + 5000;
      let reopened: Response | null = null;
      while (Date.now() < deadline) {
        reopened = await openStream(tokens.alice);
        if (reopened.status === 200) {
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 100));
      }
      assert.equal(reopened?.status, 200, 'a closed stream frees its place');
    } finally {
      open.forEach(controller => controller.abort());
      await hub.api(tokens.alice, 'DELETE', `/api/builds/${id}`);
    }
    assert.equal(
      (await hub.waitForBuild(tokens.alice, id, 30)).phase,
      'cancelled'
    );
  });

  it('serves the page only with the access scope, and forbids framing it', async () => {
    const page = await fetch(`${hub.serviceUrl}/`, {
      headers: { authorization: `token ${tokens.alice}` },
      redirect: 'manual'
    });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      /frame-ancestors 'none'/
    );
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    await page.text();
    const buildOnly = await hub.token('alice', [BUILD]);
    const refused = await fetch(`${hub.serviceUrl}/`, {
      headers: { authorization: `token ${buildOnly}` },
      redirect: 'manual'
    });
    assert.equal(refused.status, 403);
    const body = (await refused.json()) as {
      error: { code: string; scope: string };
    };
    assert.equal(body.error.code, 'missing_scope');
    assert.equal(body.error.scope, 'access:services!service=repo2docker');
  });

  it('answers 400 JSON naming `name` for image names that cannot exist, and 404 for one that does not', async () => {
    for (const path of [
      '%25',
      'r2d-alice%2Fok%0A%3Aabc',
      'r2d-alice%2Fok%01',
      'R2D-ALICE%2Fok%3Ax',
      'a%3A%3Ab'
    ]) {
      const { status, body, headers } = await hub.api(
        tokens.alice,
        'DELETE',
        `/api/images/${path}`
      );
      assert.equal(status, 400, `${path}: ${JSON.stringify(body)}`);
      assert.match(headers.get('content-type') ?? '', /application\/json/);
      assert.equal(body.error.field, 'name', path);
      assert.match(body.error.message, /image name is a repository and a tag/);
      assert.doesNotMatch(
        body.error.message,
        /invalid reference format|docker/i,
        "never the engine's own text"
      );
    }
    const missing = await hub.api(
      tokens.alice,
      'DELETE',
      `/api/images/${encodeURIComponent('r2d-alice/never-built:0123abcd')}`
    );
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
    assert.equal(missing.body.error.code, 'not_found');
  });

  // Last: it leaves its client address throttled for a minute.
  it('1,000 random tokens cost a bounded number of hub calls, then 429 with Retry-After', async () => {
    const before = forwarder.userCalls;
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    let limitedBody: any = null;
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 1000) {
          next++;
          const response = await hub.api(
            randomBytes(16).toString('hex'),
            'GET',
            '/api/info'
          );
          statuses.set(
            response.status,
            (statuses.get(response.status) ?? 0) + 1
          );
          if (response.status === 429 && limitedBody === null) {
            retryAfter = response.headers.get('retry-after');
            limitedBody = response.body;
          }
        }
      })
    );
    const calls = forwarder.userCalls - before;
    console.log(
      `# 1000 random tokens in ${Date.now() - started} ms: ${calls} hub calls, answers ${JSON.stringify(Object.fromEntries(statuses))}`
    );
    assert.ok(
      calls <= MAX_FAILURES,
      `${calls} hub calls for 1000 random tokens (limit ${MAX_FAILURES})`
    );
    assert.equal(
      statuses.get(401),
      calls,
      'each hub call was a refusal, answered 401'
    );
    assert.equal(statuses.get(429), 1000 - calls);
    assert.match(retryAfter ?? '', /^\d+$/);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60);
    assert.equal(limitedBody.error.code, 'too_many_failures');

    // Another client behind the proxy (the proxy's X-Forwarded-For names it) is not throttled:
    // a fresh token of alice's is checked with the hub and accepted.
    const fresh = await hub.token('alice');
    const other = await jsonCall(
      `${direct}/services/repo2docker/api/info`,
      'GET',
      {
        authorization: `token ${fresh}`,
        'x-forwarded-for': '203.0.113.77'
      }
    );
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.user.name, 'alice');
    // The throttled client stays throttled, whatever it claims in X-Forwarded-For (the proxy
    // appends the address it saw, and only that last entry counts).
    const spoofed = await jsonCall(`${hub.serviceUrl}/api/info`, 'GET', {
      authorization: `token ${randomBytes(16).toString('hex')}`,
      'x-forwarded-for': '203.0.113.78'
    });
    assert.equal(spoofed.status, 429);
  });
});

describe('a build whose log passes logs.maxBuildBytes (real service, real repo2docker)', () => {
  let service: ServiceProcess;
  let fixtures: Fixtures;

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(20_000); // ~300 KB of output
    service = await new ServiceProcess({
      config: { logs: { maxBuildBytes: 64 * 1024 } }
    }).start();
  });
  after(async () => {
    await service?.stop();
  });

  it('is stopped and fails saying so, its log kept up to the cap, nothing of it left in the engine', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.chatty
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await service.waitForBuild(started.body.id, 120);
    assert.equal(build.phase, 'failed', JSON.stringify(build));
    assert.equal(
      build.error,
      "the build's log passed 64 KiB; the build was stopped"
    );
    const log = await readLog(service.url, service.headers(), build.id);
    const bytes = log.events
      .slice(0, -1)
      .reduce((sum, event) => sum + Buffer.byteLength(event.message), 0);
    assert.ok(bytes <= 64 * 1024, `${bytes} bytes kept`);
    assert.ok(bytes > 32 * 1024, 'the log is kept up to the cap');
    assert.equal(log.events.at(-1)!.phase, 'failed');
    assert.match(
      log.events.at(-1)!.message,
      /the build's log passed 64 KiB; the build was stopped/
    );
    assert.deepEqual(
      imagesOfBuild(build.id),
      [],
      'a stopped build leaves no image'
    );
  });
});
