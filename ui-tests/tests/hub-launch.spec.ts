/**
 * Use what you built, in Debian's Chromium under a real JupyterHub (scripts/test-ui-hub.sh: the
 * example config with the rig's per-server spawner, so users' default servers are the venv's
 * JupyterLab with the extension and NAMED servers are containers from their images, on the real
 * engine, DockerSpawner with the project's helper hooks).
 *
 *   alice: builds the launchable fixture in the panel, presses "Start server in <label>", sees
 *          the progress, and the popup is JupyterLab running inside her image (the file her
 *          build wrote is there, through the new server's contents API); she stops it from
 *          "Running servers".
 *   bob:   cannot start alice's private image, not even with hand-made user_options through the
 *          hub's API with his own token: refused, and no container of his exists.
 *   alice: a launch link opened in a fresh browser context goes through the hub's login, gets
 *          the already-built answer and lands in her new server; the panel's "Copy launch
 *          link for <label>" copies that very link.
 *
 * Needs HUB_URL and FIXTURE_LAUNCHABLE_URL (scripts/test-ui-hub.sh); skipped without them.
 * Screenshots: ui-tests/test-results-hub/launch-NN-*.png.
 */
import {
  expect,
  test,
  type Browser,
  type BrowserContext,
  type Page
} from '@playwright/test';
import { execFileSync } from 'child_process';
import {
  env,
  hubUrl,
  imageItem,
  labToken,
  logInToPanel,
  newUserContext,
  serviceUrl,
  shot,
  sidebar,
  submitBuild,
  waitForApp,
  type BuildJson
} from './hub/helpers';

const FIXTURE_FILE = 'built-by-fixture.txt';
const FIXTURE_TEXT = /^built by the launchable fixture [0-9a-f]{32}/;

/** Running containers of this rig for `user` (the rig's DockerSpawner names them r2d-test-…). */
function containersOf(user: string): string[] {
  const out = execFileSync(
    'docker',
    [
      'ps',
      '--format',
      '{{.Names}} {{.Image}}',
      '--filter',
      `name=^r2d-test-jupyter-${user}--`
    ],
    { encoding: 'utf8' }
  ).trim();
  return out === '' ? [] : out.split('\n');
}

/** The named server a JupyterLab page belongs to (`/user/<user>/<server>/lab…`). */
function serverOf(page: Page, user: string): string {
  const match = new RegExp(`^/user/${user}/([^/]+)/lab`).exec(
    new URL(page.url()).pathname
  );
  expect(match, `a named server's JupyterLab: ${page.url()}`).toBeTruthy();
  return match![1];
}

/** The launchable fixture's file, read through the server's own contents API with `token`. */
async function fixtureFile(
  page: Page,
  user: string,
  server: string,
  token: string
): Promise<string> {
  const response = await page.request.get(
    `${hubUrl()}/user/${user}/${server}/api/contents/${FIXTURE_FILE}?content=1&type=file`,
    { headers: { Authorization: `token ${token}` } }
  );
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { content: string }).content;
}

test.describe.configure({ mode: 'serial' });

test.describe('starting servers in environments under JupyterHub', () => {
  test.skip(
    !process.env.HUB_URL || !process.env.FIXTURE_LAUNCHABLE_URL,
    'HUB_URL / FIXTURE_LAUNCHABLE_URL are not set: run with scripts/test-ui-hub.sh'
  );

  const contexts: BrowserContext[] = [];
  let alice!: Page;
  let aliceToken = '';
  let build!: BuildJson;
  let panelServer = '';
  const aliceServers = new Set<string>();

  /** A page in a browser of its own (no hub cookie yet), closed after the suite. */
  async function freshPage(browser: Browser): Promise<Page> {
    const context = await newUserContext(browser);
    contexts.push(context);
    return context.newPage();
  }

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    const context = await newUserContext(browser, { timeout: 30_000 });
    contexts.push(context);
    alice = await context.newPage();
  });

  test.afterAll(async () => {
    // Stop what is left of alice's servers, then drop her image (not while a container uses it).
    if (aliceToken) {
      for (const server of aliceServers) {
        await alice.request
          .delete(`${hubUrl()}/hub/api/users/alice/servers/${server}`, {
            headers: { Authorization: `token ${aliceToken}` }
          })
          .catch(() => undefined);
      }
      const deadline = Date.now() + 30_000;
      while (containersOf('alice').length > 0 && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      if (build) {
        await alice.request
          .delete(
            `${serviceUrl()}/api/images/${encodeURIComponent(build.image)}`,
            { headers: { Authorization: `token ${aliceToken}` } }
          )
          .catch(() => undefined);
      }
    }
    for (const context of contexts) {
      await context.close();
    }
  });

  test('1. alice builds the launchable fixture in the panel', async () => {
    aliceToken = (await logInToPanel(alice, 'alice', 'launch-01-alice')).token;
    const response = await submitBuild(alice, {
      repo: env('FIXTURE_LAUNCHABLE_URL')
    });
    expect([200, 202], await response.text()).toContain(response.status());
    build = await response.json();
    expect(build.image).toMatch(/alice\/launchable:/);
    const image = imageItem(sidebar(alice), build.image);
    await expect(image).toBeVisible({ timeout: 300_000 });
    await shot(alice, 'launch-01-alice-image');
  });

  test('2. alice presses Start server, sees the progress, and lands in JupyterLab inside her image', async () => {
    const image = imageItem(sidebar(alice), build.image);
    const start = image.getByRole('button', { name: /^Start server in / });
    await expect(start).toBeVisible();
    // The same label as the row's other buttons.
    const label = (await start.getAttribute('aria-label'))!.replace(
      /^Start server in /,
      ''
    );
    await expect(
      image.getByRole('button', { name: `Delete ${label}`, exact: true })
    ).toBeVisible();

    const [popup] = await Promise.all([
      alice.waitForEvent('popup', { timeout: 120_000 }),
      (async () => {
        await start.click();
        await expect(
          sidebar(alice).getByRole('progressbar', { name: /^Starting server/ })
        ).toBeVisible();
        await shot(alice, 'launch-02-alice-starting');
      })()
    ]);
    await popup.waitForURL(/\/user\/alice\/[^/]+\/lab/, { timeout: 120_000 });
    await waitForApp(popup);
    panelServer = serverOf(popup, 'alice');
    aliceServers.add(panelServer);
    await shot(popup, 'launch-02-alice-new-lab');

    // A container from her image runs the new server, and her build's file is in its home.
    const [container] = containersOf('alice');
    expect(container, 'a container for alice').toBeTruthy();
    expect(container.split(' ')[1]).toBe(build.image);
    const serverToken = await labToken(popup);
    expect(await fixtureFile(popup, 'alice', panelServer, serverToken)).toMatch(
      FIXTURE_TEXT
    );
    await popup.close();
  });

  test('3. alice stops it from Running servers', async () => {
    const panel = sidebar(alice);
    const running = panel.getByRole('list', { name: 'Running servers' });
    await expect(running).toBeVisible({ timeout: 60_000 });
    const stop = running.getByRole('button', {
      name: `Stop ${panelServer}`,
      exact: true
    });
    await expect(stop).toBeVisible({ timeout: 60_000 });
    await shot(alice, 'launch-03-alice-running');
    await stop.click();
    await expect(stop).toHaveCount(0, { timeout: 60_000 });
    await expect
      .poll(() => containersOf('alice').length, { timeout: 60_000 })
      .toBe(0);
    const user = await alice.request.get(`${hubUrl()}/hub/api/users/alice`, {
      headers: { Authorization: `token ${aliceToken}` }
    });
    const servers = ((await user.json()) as { servers?: object }).servers ?? {};
    expect(Object.keys(servers)).not.toContain(panelServer);
    aliceServers.delete(panelServer);
    await shot(alice, 'launch-03-alice-stopped');
  });

  test("4. bob cannot start alice's private image, not even with hand-made user_options", async ({
    browser
  }) => {
    const bob = await freshPage(browser);
    const { token: bobToken, panel } = await logInToPanel(
      bob,
      'bob',
      'launch-04-bob'
    );
    await expect(imageItem(panel, build.image)).toHaveCount(0);
    await expect(
      panel.getByRole('button', { name: /^Start server in .*launchable/ })
    ).toHaveCount(0);

    const post = (path: string, data: unknown) =>
      bob.request.post(`${hubUrl()}/hub/api${path}`, {
        headers: { Authorization: `token ${bobToken}` },
        data
      });
    // His own named server, alice's image, both body forms JupyterHub 6 takes.
    for (const [index, data] of [
      { user_options: { image: build.image } },
      { image: build.image }
    ].entries()) {
      const response = await post(`/users/bob/servers/stolen-${index}`, data);
      expect([400, 403], await response.text()).toContain(response.status());
    }
    // A server of alice's, with his token.
    const hers = await post('/users/alice/servers/stolen', {
      user_options: { image: build.image }
    });
    expect([403, 404]).toContain(hers.status());
    // Through the service's launch route (he cannot see her build).
    const launch = await bob.request.post(`${serviceUrl()}/launch/servers`, {
      headers: { Authorization: `token ${bobToken}` },
      data: { build: build.id }
    });
    expect(launch.status()).toBe(404);
    expect(containersOf('bob')).toEqual([]);
    expect(containersOf('alice')).toEqual([]);
  });

  test('5. a launch link opened by alice in a fresh browser goes through the hub login, the already-built answer, and into her new server', async ({
    browser
  }) => {
    const page = await freshPage(browser);
    const visited: string[] = [];
    let launchStatus = 0;
    page.on('request', request => {
      if (
        request.isNavigationRequest() &&
        request.frame() === page.mainFrame()
      ) {
        visited.push(new URL(request.url()).pathname);
      }
    });
    page.on('response', response => {
      if (new URL(response.url()).pathname === '/services/repo2docker/launch') {
        launchStatus = response.status();
      }
    });
    // The link the panel copies (test 6 checks that it is this one).
    const link = `${serviceUrl()}/launch?${new URLSearchParams({
      repo: env('FIXTURE_LAUNCHABLE_URL')
    })}`;
    await page.goto(link);
    await expect(page.locator('#username_input')).toBeVisible();
    await page.locator('#username_input').fill('alice');
    await page.locator('#password_input').fill('any password');
    await shot(page, 'launch-05-login');
    await page.locator('#login_submit').click();
    await page.waitForURL(/\/services\/repo2docker\/launch\?/);
    await expect(page.locator('#status')).toContainText(
      /Already built|Starting a server|Ready/
    );
    await shot(page, 'launch-05-launch-page');
    await page.waitForURL(/\/user\/alice\/[^/]+\/lab/, { timeout: 120_000 });
    await waitForApp(page);
    expect(launchStatus, 'the already-built answer').toBe(200);
    for (const hop of [
      '/hub/login',
      '/hub/api/oauth2/authorize',
      '/services/repo2docker/oauth_callback',
      '/services/repo2docker/launch'
    ]) {
      expect(visited, hop).toContain(hop);
    }
    const server = serverOf(page, 'alice');
    aliceServers.add(server);
    const token = await labToken(page);
    expect(await fixtureFile(page, 'alice', server, token)).toMatch(
      FIXTURE_TEXT
    );
    const [container] = containersOf('alice');
    expect(container?.split(' ')[1]).toBe(build.image);
    await shot(page, 'launch-05-new-lab');
  });

  test("6. the panel's Copy launch link gives that launch link", async () => {
    await alice
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: hubUrl()
      });
    const image = imageItem(sidebar(alice), build.image);
    const copy = image.getByRole('button', { name: /^Copy launch link for / });
    await expect(copy).toBeVisible();
    await copy.click();
    await expect
      .poll(() => alice.evaluate(() => navigator.clipboard.readText()), {
        timeout: 10_000
      })
      .toContain('/launch?');
    const link = new URL(
      await alice.evaluate(() => navigator.clipboard.readText())
    );
    expect(link.origin + link.pathname).toBe(`${serviceUrl()}/launch`);
    expect(link.searchParams.get('repo')).toBe(env('FIXTURE_LAUNCHABLE_URL'));
    expect(link.searchParams.get('ref') ?? 'HEAD').toBe('HEAD');
  });
});
