/**
 * The launch link through a real JupyterHub 6 (examples/jupyterhub_config.py with the rig's
 * per-server spawner: named servers are real containers from the users' images on the real
 * engine, DockerSpawner with the project's helper hooks).
 *
 * `GET /services/repo2docker/launch?repo=…&ref=…`: a bad link is refused with 400 naming the
 * field; alice, logged in at the hub only, goes through the service page's OAuth, her launch
 * builds the launchable fixture, then starts a named server with her own token (XSRF-checked),
 * the hub's progress comes through to ready, and her new JupyterLab holds the file her build
 * wrote; opened again, the link gets the already-built answer at once and a second server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  containerImage,
  removeImage,
  spawnedContainers
} from '../helpers/docker-cli.js';
import type { LaunchPageData } from '../../src/http/page/launch-html.js';
import { Browser, HubProcess, stopKeepingLog } from '../helpers/hub.js';
import { makeLaunchableFixture, requireRealParts } from '../helpers/paths.js';

const HUB_LOG = join(tmpdir(), 'r2d-launch-link-test.log');
const FIXTURE_FILE = 'built-by-fixture.txt';

/** Running containers of this rig for `user`. */
const containersOf = (user: string): string[] =>
  spawnedContainers(user, { all: false });

function pageData(html: string): { data: LaunchPageData; xsrf: string } {
  const json =
    /<script type="application\/json" id="launch-data">([^<]*)<\/script>/.exec(
      html
    );
  const xsrf = /<meta name="xsrf-token" content="([^"]*)">/.exec(html);
  assert.ok(json && xsrf, `a launch page: ${html.slice(0, 400)}`);
  return { data: JSON.parse(json[1]) as LaunchPageData, xsrf: xsrf[1] };
}

/** The OAuth token in the service's signed session cookie (`token.signature`, URL-encoded). */
function sessionTokenOf(browser: Browser): string {
  const raw = browser.cookies.get('repo2docker-session');
  assert.ok(raw, 'a service session cookie');
  const value = decodeURIComponent(raw);
  return value.slice(0, value.lastIndexOf('.'));
}

function sseEvents(text: string): Record<string, any>[] {
  return text
    .split(/\n\n/)
    .map(block =>
      block
        .split('\n')
        .filter(line => line.startsWith('data:'))
        .map(line => line.slice(5).trim())
        .join('\n')
    )
    .filter(data => data !== '')
    .map(data => JSON.parse(data) as Record<string, any>);
}

describe('the launch link (GET /services/repo2docker/launch) through a real JupyterHub', () => {
  let hub: HubProcess;
  let fixtureDir: string;
  let launchable = '';
  let aliceToken = '';
  let aliceImage = '';
  const servers: string[] = [];
  const made = new Set<string>();
  const link = (query: Record<string, string>): string =>
    `${hub.serviceUrl}/launch?${new URLSearchParams(query)}`;

  before(async () => {
    requireRealParts();
    fixtureDir = mkdtempSync(join(tmpdir(), 'r2d-launch-link-fixture-'));
    launchable = `file://${makeLaunchableFixture(fixtureDir)}`;
    hub = await new HubProcess({
      env: { R2D_HUB_SPAWNER: 'per-server' }
    }).start();
    aliceToken = await hub.token('alice');
  });

  after(async () => {
    for (const server of servers) {
      await fetch(`${hub.url}/hub/api/users/alice/servers/${server}`, {
        method: 'DELETE',
        headers: { authorization: `token ${aliceToken}` }
      }).catch(() => undefined);
    }
    await stopKeepingLog(hub, HUB_LOG);
    made.forEach(removeImage);
    if (fixtureDir) {
      rmSync(fixtureDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad link with 400 naming the field, as POST /api/builds does, and builds nothing', async () => {
    const before = await hub.api(aliceToken, 'GET', '/api/builds');
    const cases: [string, string][] = [
      [`${hub.serviceUrl}/launch?ref=main`, 'repo'],
      [link({ repo: 'ftp://example.org/x' }), 'repo'],
      [link({ repo: launchable, ref: '--upload-pack=touch /tmp/x' }), 'ref'],
      [link({ repo: launchable, subdir: '../etc' }), 'subdir'],
      [link({ repo: launchable, name: 'x' }), 'name'],
      [
        `${hub.serviceUrl}/launch?repo=${encodeURIComponent(launchable)}&repo=x`,
        'repo'
      ]
    ];
    for (const [url, field] of cases) {
      // No token, no session: refused before any login.
      const json = await fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'manual'
      });
      assert.equal(json.status, 400, `${url}: ${json.status}`);
      const body = (await json.json()) as {
        error: { code: string; field: string };
      };
      assert.equal(body.error.code, 'invalid_field', url);
      assert.equal(body.error.field, field, url);
      // A browser gets a page saying which part of the link is wrong.
      const page = await new Browser().request('GET', url, {
        headers: { accept: 'text/html' }
      });
      assert.equal(page.status, 400);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.ok(
        page.text.includes(`<code>${field}</code>`),
        `the page names ${field}: ${page.text}`
      );
    }
    const after = await hub.api(aliceToken, 'GET', '/api/builds');
    assert.deepEqual(
      after.body.builds,
      before.body.builds,
      'no build was started'
    );
  });

  it("alice's launch logs her in through the hub, builds, then starts a named server with her own token and lands in its JupyterLab", async () => {
    const browser = new Browser();
    await browser.logIn(hub, 'alice');
    const url = link({ repo: launchable, ref: 'main' });
    const page = await browser.request('GET', url, {
      headers: { accept: 'text/html' }
    });
    assert.equal(
      page.status,
      202,
      `${page.status} ${page.chain.join(' -> ')}\n${page.text.slice(0, 500)}`
    );
    const paths = page.chain.map(hop => new URL(hop).pathname);
    assert.ok(paths.includes('/hub/api/oauth2/authorize'), paths.join(' '));
    assert.ok(
      paths.includes('/services/repo2docker/oauth_callback'),
      paths.join(' ')
    );
    assert.equal(page.url, url, 'back at the very link after the login');
    const { data, xsrf } = pageData(page.text);
    assert.equal(data.alreadyBuilt, false);
    assert.match(data.image, /^r2d-alice\/launchable:/);
    made.add(data.image);
    // The page's session holds her OAuth token: never in the page.
    const token = sessionTokenOf(browser);
    assert.ok(token.length >= 16);
    assert.ok(!page.text.includes(token), 'no token in the HTML');

    // The page follows the build's log with the session cookie (a GET: no XSRF needed).
    const log = await browser.request(
      'GET',
      `${hub.serviceUrl}/api/builds/${data.build}/logs`,
      { headers: { accept: 'text/event-stream' } }
    );
    assert.equal(log.status, 200);
    assert.match(log.text, /built by the launchable fixture|built-by-fixture/);
    const build = await hub.waitForBuild(aliceToken, data.build, 300);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    aliceImage = build.image;

    // Starting is a write: without the page's XSRF token the cookie alone is refused.
    const start = `${hub.serviceUrl}/launch/servers`;
    const body = JSON.stringify({ build: data.build });
    const json = {
      'content-type': 'application/json',
      accept: 'application/json'
    };
    const forged = await browser.request('POST', start, {
      body,
      headers: json
    });
    assert.equal(forged.status, 403, forged.text);
    assert.equal(JSON.parse(forged.text).error.code, 'xsrf');
    assert.deepEqual(containersOf('alice'), [], 'nothing started');

    const started = await browser.request('POST', start, {
      body,
      headers: { ...json, 'x-xsrftoken': xsrf }
    });
    assert.equal(started.status, 202, started.text);
    const answer = JSON.parse(started.text) as {
      server: string;
      progress: string;
      url: string;
    };
    servers.push(answer.server);
    assert.equal(answer.server, 'launchable');
    assert.equal(answer.url, `/user/alice/${answer.server}/`);

    // The hub's spawn progress, through the service, to ready.
    const progress = await browser.request(
      'GET',
      `${hub.serviceUrl}/${answer.progress}`,
      { headers: { accept: 'text/event-stream' } }
    );
    assert.equal(progress.status, 200, progress.text);
    const events = sseEvents(progress.text);
    assert.equal(events.at(-1)?.ready, true, JSON.stringify(events));
    assert.ok(events.some(event => typeof event.progress === 'number'));

    // A real container from her image; her JupyterLab in it (the hub logs her into the server).
    const [container] = containersOf('alice');
    assert.ok(container, 'a container for alice');
    assert.equal(containerImage(container), aliceImage);
    const lab = await browser.request('GET', `${hub.url}${answer.url}lab`, {
      maxRedirects: 20
    });
    assert.equal(lab.status, 200, `${lab.status} ${lab.chain.join(' -> ')}`);
    assert.match(lab.text, /jupyter-config-data/);
    const file = await fetch(
      `${hub.url}${answer.url}api/contents/${FIXTURE_FILE}?content=1&type=file`,
      { headers: { authorization: `token ${aliceToken}` } }
    );
    assert.equal(file.status, 200);
    assert.match(
      ((await file.json()) as { content: string }).content,
      /^built by the launchable fixture [0-9a-f]{32}/
    );
    // The service used her token, and never wrote it (nor the service's) into its log.
    assert.ok(
      !hub.output.includes(token),
      'no token in the hub/service output'
    );
  });

  it('opened again (a fresh login), the link gets the already-built answer at once and a second server', async () => {
    assert.ok(aliceImage, 'the previous test built the image');
    const browser = new Browser();
    await browser.logIn(hub, 'alice');
    const t0 = performance.now();
    const page = await browser.request(
      'GET',
      link({ repo: launchable, ref: 'main' }),
      {
        headers: { accept: 'text/html' }
      }
    );
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(page.status, 200, page.text.slice(0, 500));
    const { data, xsrf } = pageData(page.text);
    assert.equal(data.alreadyBuilt, true);
    assert.equal(data.phase, 'built');
    assert.equal(data.image, aliceImage);
    assert.equal(data.confirm, false, 'opened directly: starts at once');
    // Followed from another site, the page waits for a press before starting anything.
    const crossSite = await browser.request(
      'GET',
      link({ repo: launchable, ref: 'main' }),
      { headers: { accept: 'text/html', 'sec-fetch-site': 'cross-site' } }
    );
    assert.equal(pageData(crossSite.text).data.confirm, true);
    assert.ok(
      seconds < 10,
      `the already-built answer took ${seconds.toFixed(1)} s`
    );

    const started = await browser.request(
      'POST',
      `${hub.serviceUrl}/launch/servers`,
      {
        body: JSON.stringify({ build: data.build }),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-xsrftoken': xsrf
        }
      }
    );
    assert.equal(started.status, 202, started.text);
    const answer = JSON.parse(started.text) as {
      server: string;
      progress: string;
    };
    servers.push(answer.server);
    // "launchable" runs already: a unique suffix.
    assert.match(answer.server, /^launchable-[0-9a-f]{4}$/);
    const progress = await browser.request(
      'GET',
      `${hub.serviceUrl}/${answer.progress}`,
      {
        headers: { accept: 'text/event-stream' }
      }
    );
    assert.equal(sseEvents(progress.text).at(-1)?.ready, true, progress.text);
    assert.equal(containersOf('alice').length, 2);
  });

  it("bob cannot launch from alice's build: not through the service, not past it", async () => {
    assert.ok(aliceImage, 'the earlier tests built the image');
    const bobToken = await hub.token('bob');
    const builds = await hub.api(aliceToken, 'GET', '/api/builds');
    const id = builds.body.builds[0].id as string;
    const refused = await hub.api(bobToken, 'POST', '/launch/servers', {
      build: id
    });
    assert.equal(refused.status, 404, JSON.stringify(refused.body));
    // bob (a reader) may not build, so a launch link answers 403 naming the scope.
    const link403 = await hub.api(
      bobToken,
      'GET',
      `/launch?${new URLSearchParams({ repo: launchable, ref: 'main' })}`
    );
    assert.equal(link403.status, 403);
    assert.equal(link403.body.error.scope, 'custom:repo2docker:build');
    assert.deepEqual(containersOf('bob'), []);
  });
});
