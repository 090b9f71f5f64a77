/**
 * The service page's login and its protections, through the real Fastify app (inject): OAuth
 * redirect with state and PKCE, callback with state check and code exchange (against a loopback
 * stand-in for the hub's token endpoint), session cookie, XSRF on cookie writes, CORS origins.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { createService, type Service } from '../../src/app.js';
import { TooManyRequests } from '../../src/auth/failure-limiter.js';
import type { Authenticator, Identity } from '../../src/auth/identity.js';
import { originAllowed } from '../../src/http/cors.js';
import { MAX_LAUNCH_QUERY } from '../../src/http/routes/launch.js';
import { finishedRecord } from '../helpers/unit-builds.js';
import { unitConfig } from '../helpers/unit-config.js';

const alice: Identity = {
  name: 'alice',
  admin: false,
  scopes: [],
  permissions: { access: true, read: true, build: true, admin: false }
};
const fakeAuth: Authenticator = {
  mode: 'jupyterhub',
  async authenticate(request) {
    if (request.headers.authorization === 'token tok-alice') return alice;
    if (request.headers.authorization === 'token tok-noaccess') {
      return {
        ...alice,
        permissions: { access: false, read: true, build: true, admin: false }
      };
    }
    if (request.headers.authorization === 'token tok-flood')
      throw new TooManyRequests('too_many_failures', 'slow down', 42);
    if (request.headers.authorization === 'token tok-queue')
      throw new ApiError(429, 'too_many_builds', 'wait');
    throw new ApiError(401, 'unauthenticated', 'no');
  }
};

describe('service page login', () => {
  let hub: Server;
  let service: Service;
  let exchanged: URLSearchParams | null = null;

  before(async () => {
    hub = createServer((req, res) => {
      let body = '';
      req.on('data', chunk => (body += chunk));
      req.on('end', () => {
        exchanged = new URLSearchParams(body);
        const ok =
          req.url === '/hub/api/oauth2/token' &&
          exchanged.get('code') === 'good-code';
        res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok ? { access_token: 'tok-alice' } : { error: 'invalid_grant' }
          )
        );
      });
    });
    hub.listen(0, '127.0.0.1');
    await once(hub, 'listening');
    const apiUrl = `http://127.0.0.1:${(hub.address() as { port: number }).port}/hub/api`;
    const config = unitConfig({ corsOrigins: ['https://*.hub.example.org'] });
    service = createService(config, {
      authenticator: fakeAuth,
      oauth: {
        clientId: 'service-repo2docker',
        clientSecret: 'service-api-token',
        apiUrl,
        authorizeUrl: '/hub/api/oauth2/authorize',
        callbackUrl: '/services/repo2docker/oauth_callback'
      }
    });
    await service.app.ready();
  });
  after(async () => {
    await service.app.close();
    hub.close();
  });

  const cookiesOf = (res: { cookies: { name: string; value: string }[] }) =>
    res.cookies.map(c => `${c.name}=${c.value}`).join('; ');

  it('sends a visitor without a session to the hub with state and a PKCE challenge', async () => {
    const res = await service.app.inject({ url: '/services/repo2docker/' });
    assert.equal(res.statusCode, 302);
    const location = new URL(res.headers.location as string, 'http://hub');
    assert.equal(location.pathname, '/hub/api/oauth2/authorize');
    assert.equal(location.searchParams.get('client_id'), 'service-repo2docker');
    assert.equal(
      location.searchParams.get('redirect_uri'),
      '/services/repo2docker/oauth_callback'
    );
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(location.searchParams.get('state')!.length >= 16);
    const state = res.cookies.find(c => c.name === 'repo2docker-oauth-state')!;
    assert.ok(state, 'state cookie set');
    assert.equal(state.httpOnly, true);
    assert.equal(state.path, '/services/repo2docker/');
  });

  it('logs in through the callback, then serves the page with an XSRF token', async () => {
    const start = await service.app.inject({ url: '/services/repo2docker/' });
    const state = new URL(
      start.headers.location as string,
      'http://hub'
    ).searchParams.get('state');
    const callback = await service.app.inject({
      url: `/services/repo2docker/oauth_callback?code=good-code&state=${state}`,
      headers: { cookie: cookiesOf(start) }
    });
    assert.equal(callback.statusCode, 302, callback.body);
    assert.equal(exchanged!.get('client_secret'), 'service-api-token');
    const verifier = exchanged!.get('code_verifier')!;
    const challenge = new URL(
      start.headers.location as string,
      'http://hub'
    ).searchParams.get('code_challenge');
    assert.equal(
      createHash('sha256').update(verifier).digest('base64url'),
      challenge,
      'PKCE verifier matches'
    );
    const session = callback.cookies.find(
      c => c.name === 'repo2docker-session'
    )!;
    assert.ok(
      session && session.httpOnly && session.path === '/services/repo2docker/'
    );
    assert.match(
      decodeURIComponent(session.value),
      /^tok-alice\.[A-Za-z0-9+/_-]{20,}/,
      'the token travels signed'
    );

    const page = await service.app.inject({
      url: '/services/repo2docker/',
      headers: { cookie: `repo2docker-session=${session.value}` }
    });
    assert.equal(page.statusCode, 200);
    assert.match(
      page.headers['content-security-policy'] as string,
      /script-src 'self'/
    );
    const xsrf = /name="xsrf-token" content="([0-9a-f]+)"/.exec(page.body)![1];

    // A cookie-authenticated write without the XSRF token is refused...
    const forged = await service.app.inject({
      method: 'POST',
      url: '/services/repo2docker/api/builds',
      headers: {
        cookie: `repo2docker-session=${session.value}`,
        'content-type': 'application/json'
      },
      payload: { repo: '-bad' }
    });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().error.code, 'xsrf');
    // ...and with it, the request is authenticated (and then validated: a 400 naming repo).
    const real = await service.app.inject({
      method: 'POST',
      url: '/services/repo2docker/api/builds',
      headers: {
        cookie: `repo2docker-session=${session.value}`,
        'content-type': 'application/json',
        'x-xsrftoken': xsrf
      },
      payload: { repo: '-bad' }
    });
    assert.equal(real.statusCode, 400);
    assert.equal(real.json().error.field, 'repo');
    // Reads need no XSRF token.
    const read = await service.app.inject({
      url: '/services/repo2docker/api/info',
      headers: { cookie: `repo2docker-session=${session.value}` }
    });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().user.name, 'alice');
  });

  it('refuses a callback whose state does not match, and a tampered session cookie', async () => {
    const start = await service.app.inject({ url: '/services/repo2docker/' });
    const wrong = await service.app.inject({
      url: '/services/repo2docker/oauth_callback?code=good-code&state=not-the-state',
      headers: { cookie: cookiesOf(start) }
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().error.code, 'oauth_state');
    const noCookie = await service.app.inject({
      url: '/services/repo2docker/oauth_callback?code=good-code&state=x'
    });
    assert.equal(noCookie.statusCode, 400);
    const tampered = await service.app.inject({
      url: '/services/repo2docker/api/info',
      headers: { cookie: 'repo2docker-session=tok-alice' }
    });
    assert.equal(tampered.statusCode, 401, 'an unsigned cookie is no session');
  });

  it('answers CORS only for the configured user hosts', async () => {
    const preflight = (origin: string) =>
      service.app.inject({
        method: 'OPTIONS',
        url: '/services/repo2docker/api/builds',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type'
        }
      });
    const ok = await preflight('https://alice.hub.example.org');
    assert.equal(
      ok.headers['access-control-allow-origin'],
      'https://alice.hub.example.org'
    );
    assert.match(
      String(ok.headers['access-control-allow-headers']),
      /Authorization/i
    );
    const evil = await preflight('https://evil.example.com');
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
  });
});

describe('the page, the log stream and image names: what a hostile user can try', () => {
  let service: Service;
  const base = '/services/repo2docker';
  const auth = { authorization: 'token tok-alice' };

  before(async () => {
    const config = unitConfig({ corsOrigins: ['https://*.hub.example.org'] });
    service = createService(config, { authenticator: fakeAuth, oauth: null });
    await service.app.ready();
  });
  after(() => service.app.close());

  it('serves the page only to a token with the access scope, and never in a frame', async () => {
    const page = await service.app.inject({ url: `${base}/`, headers: auth });
    assert.equal(page.statusCode, 200);
    assert.match(
      String(page.headers['content-security-policy']),
      /frame-ancestors 'none'/
    );
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const refused = await service.app.inject({
      url: `${base}/`,
      headers: { authorization: 'token tok-noaccess' }
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'missing_scope');
    assert.equal(
      refused.json().error.scope,
      'access:services!service=repo2docker'
    );
    assert.equal(
      refused.headers['x-frame-options'],
      'DENY',
      'the refusal cannot be framed either'
    );
  });

  it('says when to come back on a 429 (Retry-After), on the page and the API alike', async () => {
    for (const url of [`${base}/`, `${base}/api/builds`]) {
      const res = await service.app.inject({
        url,
        headers: { authorization: 'token tok-flood' }
      });
      assert.equal(res.statusCode, 429, url);
      assert.equal(res.headers['retry-after'], '42', url);
      assert.equal(res.json().error.code, 'too_many_failures');
    }
    const plain = await service.app.inject({
      url: `${base}/api/builds`,
      headers: { authorization: 'token tok-queue' }
    });
    assert.equal(plain.statusCode, 429);
    assert.equal(
      plain.headers['retry-after'],
      '10',
      'a 429 without its own estimate says 10 s'
    );
  });

  it('answers CORS on the log stream as on every other route: a listed origin only', async () => {
    const build = finishedRecord(3, 10, 'built', { owner: 'alice' });
    service.context.manager.history.add(build);
    service.context.manager.history.markFinished(build);
    const stream = (origin: string) =>
      service.app.inject({
        url: `${base}/api/builds/${build.id}/logs`,
        headers: { ...auth, origin, accept: 'text/event-stream' }
      });
    const listed = await stream('https://alice.hub.example.org');
    assert.equal(listed.statusCode, 200);
    assert.match(String(listed.headers['content-type']), /^text\/event-stream/);
    assert.equal(
      listed.headers['access-control-allow-origin'],
      'https://alice.hub.example.org'
    );
    assert.match(String(listed.headers.vary), /Origin/i);
    assert.match(listed.body, /event: ?log/, 'the log itself still streams');
    const unlisted = await stream('https://evil.example.com');
    assert.equal(unlisted.statusCode, 200);
    assert.equal(unlisted.headers['access-control-allow-origin'], undefined);
    // The same as a plain JSON route answers.
    const json = await service.app.inject({
      url: `${base}/api/builds/${build.id}`,
      headers: { ...auth, origin: 'https://alice.hub.example.org' }
    });
    assert.equal(
      json.headers['access-control-allow-origin'],
      listed.headers['access-control-allow-origin']
    );
  });

  it('answers 400 naming `name` for image names that cannot exist, before asking any engine', async () => {
    for (const path of [
      '%25',
      '%2525',
      'r2d-alice%2Fx%0A%3Aabc',
      'r2d-alice%2Fx%00',
      'R2D-Alice%2Fx%3Atag',
      'a%2F%2Fb%3At',
      'a%3A%21bad',
      '..%2F..%2Fetc'
    ]) {
      const res = await service.app.inject({
        method: 'DELETE',
        url: `${base}/api/images/${path}`,
        headers: auth
      });
      assert.equal(res.statusCode, 400, `${path}: ${res.body}`);
      const { error } = res.json();
      assert.equal(error.field, 'name', path);
      assert.match(error.message, /image name is a repository and a tag/, path);
      assert.doesNotMatch(
        error.message,
        /docker|engine|invalid reference format/i,
        path
      );
    }
  });
});

describe('originAllowed', () => {
  it('matches one wildcard label and exact origins only', () => {
    const allowed = ['https://*.hub.example.org', 'https://hub.example.org'];
    assert.ok(originAllowed('https://alice.hub.example.org', allowed));
    assert.ok(originAllowed('https://hub.example.org', allowed));
    assert.ok(!originAllowed('https://a.b.hub.example.org', allowed));
    assert.ok(!originAllowed('http://alice.hub.example.org', allowed));
    assert.ok(
      !originAllowed('https://alice.hub.example.org.evil.com', allowed)
    );
    assert.ok(!originAllowed('https://evilhub.example.org', allowed));
  });
});

describe('launch link login', () => {
  let service: Service;
  before(async () => {
    const config = unitConfig();
    config.auth.hubApiUrl = 'http://127.0.0.1:9/hub/api'; // never asked: no one logs in here
    service = createService(config, {
      authenticator: fakeAuth,
      oauth: {
        clientId: 'service-repo2docker',
        clientSecret: 'service-api-token',
        apiUrl: config.auth.hubApiUrl,
        authorizeUrl: '/hub/api/oauth2/authorize',
        callbackUrl: '/services/repo2docker/oauth_callback'
      }
    });
    await service.app.ready();
  });
  after(() => service.app.close());

  // Two-byte characters: each one is six characters URL-encoded, and each `%` three in the cookie.
  const linkWithSubdir = (chars: number) =>
    `/services/repo2docker/launch?${new URLSearchParams({
      repo: 'https://h.example/x',
      subdir: 'é'.repeat(chars)
    })}`;

  it('sends a visitor of the longest link to the login with a state cookie browsers keep, and comes back to the same link', async () => {
    const fixed = `repo=${encodeURIComponent('https://h.example/x')}&subdir=`
      .length;
    const chars = Math.floor((MAX_LAUNCH_QUERY - fixed) / 6);
    const url = linkWithSubdir(chars);
    const res = await service.app.inject({ url });
    assert.equal(res.statusCode, 302, res.body);
    const cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .find(c => c.startsWith('repo2docker-oauth-state='))!;
    const nameAndValue = cookie.split(';')[0];
    assert.ok(
      nameAndValue.length <= 4096,
      `state cookie of ${nameAndValue.length} bytes (browsers drop one over 4096)`
    );
    const pending = JSON.parse(
      decodeURIComponent(nameAndValue.split('=').slice(1).join('=')).replace(
        /\.[^.]+$/,
        ''
      )
    ) as { next: string };
    assert.equal(pending.next, url, 'the login comes back to this link');
  });

  it('refuses a longer link before any login, naming the field that takes the most room', async () => {
    const res = await service.app.inject({
      url: linkWithSubdir(400),
      headers: { accept: 'application/json' }
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.field, 'subdir');
    assert.match(res.json().error.message, /launch link is too long/);
    assert.equal(res.headers['set-cookie'], undefined, 'no login started');
  });
});
