/**
 * The permission matrix against a real JupyterHub 6 running the admin's example config
 * (examples/jupyterhub_config.py, through examples/test_overrides.py): every endpoint × every kind
 * of caller, the service reached through the hub's proxy at /services/repo2docker/, tokens made
 * by the hub for real users whose scopes come from the example's roles and groups.
 *
 *   alice: repo2docker-builders    bob: repo2docker-readers    carol: no repo2docker role
 *   dave: repo2docker-builders     admin: repo2docker-admins (and hub admin)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  imageLabels,
  imagesOfBuild,
  removeImage
} from '../helpers/docker-cli.js';
import {
  Browser,
  buildThroughHub,
  HubProcess,
  stopKeepingLog
} from '../helpers/hub.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../helpers/paths.js';
import { readLog } from '../helpers/sse.js';
import { ACCESS, READ, BUILD } from '../helpers/scopes.js';

const OWNER_LABEL = 'org.jupyter.repo2docker-service.owner';
const HUB_LOG = join(tmpdir(), 'r2d-hub-test.log');

type Caller = 'none' | 'bogus' | 'carol' | 'bob' | 'dave' | 'alice' | 'admin';
/** Deny callers first, so that the allowed (possibly destructive) calls of a row come last. */
const CALLERS: Caller[] = [
  'none',
  'bogus',
  'carol',
  'bob',
  'dave',
  'alice',
  'admin'
];

/** A status, or 403 with the scope the error must name; `undefined` = not asked in this row. */
type Expect = number | { status: 403; scope: string };
const denied = (scope: string): Expect => ({ status: 403, scope });

interface Row {
  name: string;
  expect: Record<Caller, Expect | undefined>;
  call(caller: Caller): Promise<{ status: number; body: any }>;
  /** Extra checks on allowed answers. */
  check?(caller: Caller, body: any): void;
}

describe('the service behind a real JupyterHub (examples/jupyterhub_config.py)', () => {
  let fixtures: Fixtures;
  let hub: HubProcess;
  const tokens = {} as Record<Caller, string | null>;
  const made = new Set<string>();
  /** alice's first build and its image, made in `before`. */
  let aliceBuild: any;

  before(async () => {
    requireRealParts();
    fixtures = makeFixtures(10);
    hub = await new HubProcess().start();
    for (const user of ['alice', 'bob', 'carol', 'dave', 'admin'] as const) {
      tokens[user] = await hub.token(user);
    }
    tokens.none = null;
    tokens.bogus = randomBytes(16).toString('hex');

    aliceBuild = await buildThroughHub(
      hub,
      tokens.alice!,
      { repo: fixtures.ok, ref: 'main' },
      made
    );
  });

  after(async () => {
    await stopKeepingLog(hub, HUB_LOG);
    made.forEach(removeImage);
  });

  it("builds alice's image in her namespace, labelled with her hub name as owner", () => {
    assert.equal(aliceBuild.owner, 'alice');
    assert.equal(aliceBuild.image, `r2d-alice/ok:${aliceBuild.commit}`);
    const labels = imageLabels(aliceBuild.image);
    assert.ok(labels, 'the image exists in the engine');
    assert.equal(labels[OWNER_LABEL], 'alice');
  });

  describe('permission matrix: endpoint × caller, through the proxy', () => {
    const rows: Row[] = [
      {
        name: 'GET api/info',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: 200,
          dave: 200,
          alice: 200,
          admin: 200
        },
        call: caller => hub.api(tokens[caller], 'GET', '/api/info'),
        check(caller, body) {
          assert.equal(body.auth, 'jupyterhub');
          assert.equal(body.user.name, caller);
          const want = {
            bob: { access: true, read: true, build: false, admin: false },
            dave: { access: true, read: true, build: true, admin: false },
            alice: { access: true, read: true, build: true, admin: false },
            admin: { access: true, read: true, build: true, admin: true }
          }[caller as 'bob'];
          assert.deepEqual(body.user.permissions, want);
          if (caller === 'bob') {
            assert.deepEqual(
              body.user.missing.map((m: { scope: string }) => m.scope),
              [BUILD]
            );
          }
        }
      },
      {
        name: 'GET api/builds',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: 200,
          dave: 200,
          alice: 200,
          admin: 200
        },
        call: caller => hub.api(tokens[caller], 'GET', '/api/builds'),
        check(caller, body) {
          const ids = body.builds.map((build: { id: string }) => build.id);
          assert.equal(
            ids.includes(aliceBuild.id),
            caller === 'alice' || caller === 'admin',
            `${caller} sees alice's build: ${ids}`
          );
        }
      },
      {
        name: 'GET api/builds/{id} (alice’s)',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: 404,
          dave: 404,
          alice: 200,
          admin: 200
        },
        call: caller =>
          hub.api(tokens[caller], 'GET', `/api/builds/${aliceBuild.id}`),
        check: (_caller, body) => assert.equal(body.id, aliceBuild.id)
      },
      {
        name: 'GET api/builds/{id}/logs (alice’s)',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: 404,
          dave: 404,
          alice: 200,
          admin: 200
        },
        async call(caller) {
          const headers: Record<string, string> =
            tokens[caller] === null
              ? {}
              : { authorization: `token ${tokens[caller]}` };
          const log = await readLog(hub.serviceUrl, headers, aliceBuild.id);
          if (log.status !== 200) {
            // Error answers are JSON: fetch them again to read the body.
            return hub.api(
              tokens[caller],
              'GET',
              `/api/builds/${aliceBuild.id}/logs`
            );
          }
          return { status: log.status, body: log };
        },
        check(_caller, log) {
          assert.equal(log.contentType, 'text/event-stream; charset=utf-8');
          assert.ok(log.ended, 'a finished build replays its log and closes');
          assert.ok(
            log.events.some((event: { message: string }) =>
              event.message.includes('hello from the ok fixture')
            )
          );
          assert.equal(log.events.at(-1).phase, 'built');
        }
      },
      {
        name: 'GET api/images',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: 200,
          dave: 200,
          alice: 200,
          admin: 200
        },
        call: caller => hub.api(tokens[caller], 'GET', '/api/images'),
        check(caller, body) {
          const names = body.images.map(
            (image: { name: string }) => image.name
          );
          assert.equal(
            names.includes(aliceBuild.image),
            caller === 'alice' || caller === 'admin',
            `${caller} sees ${names}`
          );
        }
      },
      {
        name: 'DELETE api/builds/{id} (alice’s, finished: a no-op for those allowed)',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: denied(BUILD),
          dave: 404,
          alice: 200,
          admin: 200
        },
        call: caller =>
          hub.api(tokens[caller], 'DELETE', `/api/builds/${aliceBuild.id}`),
        check: (_caller, body) => assert.equal(body.phase, 'built')
      },
      {
        name: 'POST api/builds (a new image name: alice and admin each build one)',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: denied(BUILD),
          dave: undefined,
          alice: 202,
          admin: 202
        },
        async call(caller) {
          const response = await hub.api(
            tokens[caller],
            'POST',
            '/api/builds',
            { repo: fixtures.ok, ref: 'main', name: 'ok-two' }
          );
          if (response.status === 202) {
            made.add(response.body.image);
            const build = await hub.waitForBuild(
              tokens[caller]!,
              response.body.id
            );
            assert.equal(build.phase, 'built', JSON.stringify(build));
          }
          return response;
        },
        check(caller, body) {
          assert.equal(body.owner, caller);
          assert.equal(body.image, `r2d-${caller}/ok-two:${aliceBuild.commit}`);
        }
      },
      {
        // alice deletes her own second image; admin deletes alice's first one; everyone else
        // tries alice's first one (a builder who is not the owner: "not found", not "forbidden").
        name: 'DELETE api/images/{name}',
        expect: {
          none: 401,
          bogus: 401,
          carol: denied(ACCESS),
          bob: denied(BUILD),
          dave: 404,
          alice: 204,
          admin: 204
        },
        call(caller) {
          const target =
            caller === 'alice'
              ? `r2d-alice/ok-two:${aliceBuild.commit}`
              : aliceBuild.image;
          return hub.api(
            tokens[caller],
            'DELETE',
            `/api/images/${encodeURIComponent(target)}`
          );
        },
        check(caller) {
          const target =
            caller === 'alice'
              ? `r2d-alice/ok-two:${aliceBuild.commit}`
              : aliceBuild.image;
          assert.equal(
            imageLabels(target),
            null,
            `${target} is gone from the engine`
          );
        }
      }
    ];

    for (const row of rows) {
      it(row.name, async () => {
        const failures: string[] = [];
        for (const caller of CALLERS) {
          const want = row.expect[caller];
          if (want === undefined) {
            continue;
          }
          const { status, body } = await row.call(caller);
          const wantStatus = typeof want === 'number' ? want : want.status;
          try {
            assert.equal(
              status,
              wantStatus,
              `status ${status}, wanted ${wantStatus}`
            );
            if (status >= 400) {
              assert.equal(
                typeof body?.error?.code,
                'string',
                'a JSON error body'
              );
            }
            if (typeof want === 'object') {
              assert.equal(
                body.error.code,
                'missing_scope',
                `error.code ${body.error.code}, wanted missing_scope`
              );
              assert.equal(
                body.error.scope,
                want.scope,
                `error.scope ${body.error.scope}, wanted ${want.scope}`
              );
            }
            if (status < 300 && row.check) {
              row.check(caller, body);
            }
          } catch (error) {
            failures.push(
              `${caller}: ${(error as Error).message.split('\n')[0]} (got ${status} ${JSON.stringify(body)?.slice(0, 300)})`
            );
          }
        }
        assert.deepEqual(failures, [], failures.join('\n'));
      });
    }
  });

  it('lets nobody but alice and an admin near her running build; the admin reads its log and cancels it', async () => {
    const started = await hub.api(tokens.alice, 'POST', '/api/builds', {
      repo: fixtures.slow
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id;
    made.add(started.body.image);
    await hub.waitForPhase(tokens.alice!, id, ['building'], 60);

    // Another builder: alice's build does not exist for him.
    assert.equal(
      (await hub.api(tokens.dave, 'GET', `/api/builds/${id}`)).status,
      404
    );
    assert.equal(
      (await hub.api(tokens.dave, 'DELETE', `/api/builds/${id}`)).status,
      404
    );
    assert.equal(
      (await hub.api(tokens.dave, 'GET', `/api/builds/${id}/logs`)).status,
      404
    );
    // A reader: not his either, and he may not cancel anything.
    assert.equal(
      (await hub.api(tokens.bob, 'GET', `/api/builds/${id}`)).status,
      404
    );
    assert.equal(
      (await hub.api(tokens.bob, 'GET', `/api/builds/${id}/logs`)).status,
      404
    );
    const bobCancel = await hub.api(tokens.bob, 'DELETE', `/api/builds/${id}`);
    assert.equal(bobCancel.status, 403);
    assert.equal(bobCancel.body.error.scope, BUILD);
    // Not listed for them.
    for (const caller of ['bob', 'dave'] as const) {
      const { body } = await hub.api(tokens[caller], 'GET', '/api/builds');
      assert.ok(
        !body.builds.some((build: { id: string }) => build.id === id),
        `${caller} does not list it`
      );
    }
    assert.equal(
      (await hub.api(tokens.alice, 'GET', `/api/builds/${id}`)).body.phase,
      'building',
      'still running'
    );

    // The admin reads the live log (first event, then hangs up) and cancels.
    const live = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.admin}` },
      id,
      { stopAfter: 1 }
    );
    assert.equal(live.status, 200);
    assert.equal(live.events.length, 1);
    const cancel = await hub.api(tokens.admin, 'DELETE', `/api/builds/${id}`);
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    const build = await hub.waitForBuild(tokens.alice!, id, 30);
    assert.equal(build.phase, 'cancelled');
    assert.match(build.error ?? '', /admin/, 'the build says who cancelled it');
    assert.deepEqual(
      imagesOfBuild(id),
      [],
      'a cancelled build leaves no image'
    );
    const log = await readLog(
      hub.serviceUrl,
      { authorization: `token ${tokens.admin}` },
      id
    );
    assert.equal(log.status, 200);
    assert.equal(log.events.at(-1)!.phase, 'cancelled');
  });

  it('refuses tokens whose scopes lack access to the service, naming the scope', async () => {
    // A token of alice's that carries her build scope but not access:services.
    const buildOnly = await hub.token('alice', [BUILD]);
    // A token that can only identify her (what a server's token has without the example's
    // c.Spawner.oauth_client_allowed_scopes).
    const identifyOnly = await hub.token('alice', ['read:users:name!user']);
    for (const token of [buildOnly, identifyOnly]) {
      for (const [method, path] of [
        ['GET', '/api/info'],
        ['GET', '/api/builds'],
        ['POST', '/api/builds']
      ] as const) {
        const response = await hub.api(
          token,
          method,
          path,
          method === 'POST' ? { repo: fixtures.ok } : undefined
        );
        assert.equal(
          response.status,
          403,
          `${method} ${path}: ${JSON.stringify(response.body)}`
        );
        assert.equal(response.body.error.code, 'missing_scope');
        assert.equal(response.body.error.scope, ACCESS);
      }
    }

    // Access alone: the service answers, and says which scope each action lacks.
    const accessOnly = await hub.token('alice', [ACCESS]);
    const info = await hub.api(accessOnly, 'GET', '/api/info');
    assert.equal(info.status, 200);
    assert.deepEqual(info.body.user.permissions, {
      access: true,
      read: false,
      build: false,
      admin: false
    });
    assert.deepEqual(
      info.body.user.missing.map((m: { scope: string }) => m.scope),
      [READ, BUILD]
    );
    const list = await hub.api(accessOnly, 'GET', '/api/builds');
    assert.equal(list.status, 403);
    assert.equal(list.body.error.scope, READ);
    const post = await hub.api(accessOnly, 'POST', '/api/builds', {
      repo: fixtures.ok
    });
    assert.equal(post.status, 403);
    assert.equal(post.body.error.scope, BUILD);
  });

  it('refuses a token the hub has revoked (the service caches a token only briefly)', async () => {
    const { token, id } = await hub.createToken('bob');
    assert.equal((await hub.api(token, 'GET', '/api/info')).status, 200);
    assert.equal(
      (await hub.hubApi('DELETE', `/users/bob/tokens/${id}`)).status,
      204
    );
    await new Promise(resolve => setTimeout(resolve, 1500)); // the test hub's service caches 1 s
    const after = await hub.api(token, 'GET', '/api/info');
    assert.equal(after.status, 401, JSON.stringify(after.body));
    assert.equal(after.body.error.code, 'unauthenticated');
  });

  it("logs a hub user into the service's own page with OAuth through the hub; cookie writes need the XSRF token", async () => {
    const browser = new Browser();
    await browser.logIn(hub, 'alice');
    const page = await browser.request('GET', `${hub.serviceUrl}/`);
    assert.equal(
      page.status,
      200,
      `${page.chain.join(' -> ')}: ${page.text.slice(0, 300)}`
    );
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const path = page.chain.map(url => new URL(url).pathname);
    assert.ok(
      path.includes('/hub/api/oauth2/authorize'),
      `went through the hub's authorize: ${path}`
    );
    assert.ok(
      path.includes('/services/repo2docker/oauth_callback'),
      `came back to the callback: ${path}`
    );
    const xsrf = /name="xsrf-token" content="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(xsrf, 'the page carries its XSRF token');

    // The session cookie alone vouches for reads...
    const info = await browser.request('GET', `${hub.serviceUrl}/api/info`);
    assert.equal(info.status, 200, info.text);
    const body = JSON.parse(info.text);
    assert.equal(body.user.name, 'alice');
    assert.deepEqual(body.user.permissions, {
      access: true,
      read: true,
      build: true,
      admin: false
    });
    // ...but a write with the cookie and without the page's XSRF token is refused,
    const json = { 'content-type': 'application/json' };
    const noXsrf = await browser.request(
      'POST',
      `${hub.serviceUrl}/api/builds`,
      { body: JSON.stringify({ repo: 'ftp://example.org/x' }), headers: json }
    );
    assert.equal(noXsrf.status, 403, noXsrf.text);
    assert.equal(JSON.parse(noXsrf.text).error.code, 'xsrf');
    // and with it the request gets through to validation (a bad URL: 400, nothing built).
    const withXsrf = await browser.request(
      'POST',
      `${hub.serviceUrl}/api/builds`,
      {
        body: JSON.stringify({ repo: 'ftp://example.org/x' }),
        headers: { ...json, 'x-xsrftoken': xsrf }
      }
    );
    assert.equal(withXsrf.status, 400, withXsrf.text);
    assert.equal(JSON.parse(withXsrf.text).error.field, 'repo');

    // carol has no role granting access to the service: the hub itself refuses her the login.
    const carol = new Browser();
    await carol.logIn(hub, 'carol');
    const refused = await carol.request('GET', `${hub.serviceUrl}/`);
    assert.equal(
      refused.status,
      403,
      `${refused.chain.join(' -> ')}: ${refused.status}`
    );
    assert.equal(new URL(refused.url).pathname, '/hub/api/oauth2/authorize');
  });

  it("gives the token in each user's JupyterLab page exactly their scopes (c.Spawner.oauth_client_allowed_scopes)", async () => {
    const [alice, carol] = await Promise.all(
      (['alice', 'carol'] as const).map(async user => {
        const browser = new Browser();
        await browser.logIn(hub, user);
        return browser.openLab(hub, user);
      })
    );
    assert.equal(alice.hubUser, 'alice');
    assert.equal(typeof alice.token, 'string', 'PageConfig carries a token');
    const info = await hub.api(alice.token, 'GET', '/api/info');
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body.user.name, 'alice');
    assert.deepEqual(info.body.user.permissions, {
      access: true,
      read: true,
      build: true,
      admin: false
    });
    const builds = await hub.api(alice.token, 'GET', '/api/builds');
    assert.equal(builds.status, 200);
    assert.ok(
      builds.body.builds.some(
        (build: { id: string }) => build.id === aliceBuild.id
      ),
      'her JupyterLab sees her builds'
    );
    // carol's JupyterLab gets a token too, but she holds no role granting the service.
    const refused = await hub.api(carol.token, 'GET', '/api/info');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.scope, ACCESS);
  });
});
