/**
 * The Environments sidebar under a real JupyterHub (examples/jupyterhub_config.py through
 * examples/test_overrides.py, started by scripts/test-ui-hub.sh): every user logs in at the hub
 * in a browser context of their own and starts their own JupyterLab, whose panel calls the
 * repo2docker service managed by the hub, through the hub's proxy, with the token the hub gave
 * that JupyterLab.
 *
 *   alice (builder): builds the ok fixture and watches its log to "Built"; starts a slow build
 *   bob (reader):    a read-only panel that shows none of alice's builds, images or logs
 *   carol (no role): the diagnosis naming the missing access scope and the config to change
 *   admin:           sees alice's builds, reads the running one's log and cancels it
 *   alice again:     the service's own page through OAuth; bad input refused next to its field
 *
 * One serial suite (each test goes on from the previous one's state), in the order the story
 * needs: bob, carol and admin start their servers before alice's slow build, so that it is still
 * running (the fixture sleeps 30 s) while bob looks for it and the admin cancels it.
 * Screenshots of every step: ui-tests/test-results-hub/NN-user-step.png.
 *
 * Needs HUB_URL, FIXTURE_OK_URL and FIXTURE_SLOW_URL; skipped without them (so that the
 * standalone config, whose testDir holds this file too, passes it by).
 */
import {
  expect,
  test,
  type Browser,
  type BrowserContext,
  type Page
} from '@playwright/test';
import * as path from 'path';
import {
  ACCESS_SCOPE,
  BUILD_SCOPE,
  buildForm,
  buildItem,
  env,
  expectFormEnabled,
  HUB_ENV_SET,
  imageItem,
  logInAndStartServer,
  logInUser,
  logRow,
  logWidget,
  newUserContext,
  openSidebar,
  refreshPanel,
  RESULTS,
  serviceCall,
  serviceUrl,
  shot,
  sidebar,
  submitBuild,
  type BuildJson
} from './hub/helpers';

type User = 'alice' | 'bob' | 'carol' | 'admin';
const USERS: User[] = ['alice', 'bob', 'carol', 'admin'];

test.describe.configure({ mode: 'serial' });

test.describe('the Environments sidebar under JupyterHub', () => {
  test.skip(
    !HUB_ENV_SET,
    'HUB_URL is not set: run the hub browser tests with scripts/test-ui-hub.sh'
  );

  const contexts = {} as Record<User, BrowserContext>;
  const pages = {} as Record<User, Page>;
  const tokens = {} as Record<User, string>;
  const pageErrors: string[] = [];
  let failed = false;
  let okBuild!: BuildJson;
  let slowBuild!: BuildJson;

  /** The hello line of the ok fixture's RUN step (not the line that echoes the command). */
  const helloLine = /hello from the ok fixture\s*$/;
  /** The slow fixture's RUN step has begun its 30 s sleep. */
  const sleepingLine = /\bsleeping\s*$/;

  const logIn = (user: User, prefix: string) =>
    logInUser({ pages, tokens }, user, prefix);

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    for (const user of USERS) {
      const context = await newUserContext(browser, {
        timeout: 30_000,
        navigationTimeout: 90_000
      });
      await context.tracing.start({ screenshots: true, snapshots: true });
      contexts[user] = context;
      const page = await context.newPage();
      page.on('pageerror', error => pageErrors.push(`${user}: ${error}`));
      pages[user] = page;
    }
  });

  // Playwright reads the fixtures a hook needs from this pattern, so it must be an object one.
  // eslint-disable-next-line no-empty-pattern
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      failed = true;
      // What every user's page showed when it failed.
      const step = testInfo.title.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 40);
      for (const user of USERS) {
        await pages[user]
          ?.screenshot({
            path: path.join(RESULTS, `failed-${step}-${user}.png`)
          })
          .catch(() => undefined);
      }
    }
  });

  test.afterAll(async () => {
    // Leave no image of ours in the engine: alice deletes hers (the slow build was cancelled
    // and left none).
    if (okBuild && tokens.alice) {
      const response = await pages.alice.request.delete(
        `${serviceUrl()}/api/images/${encodeURIComponent(okBuild.image)}`,
        { headers: { Authorization: `token ${tokens.alice}` } }
      );
      expect([200, 204, 404]).toContain(response.status());
    }
    for (const user of USERS) {
      const context = contexts[user];
      if (!context) {
        continue;
      }
      await context.tracing
        .stop(
          failed ? { path: path.join(RESULTS, `trace-${user}.zip`) } : undefined
        )
        .catch(() => undefined);
      await context.close();
    }
  });

  test('1. alice logs in, starts her server, builds the ok fixture and watches its log to Built', async () => {
    const page = pages.alice;
    const panel = await logIn('alice', '01-alice');
    const form = buildForm(panel);
    await expectFormEnabled(form, true);
    // A builder: neither a read-only notice nor a diagnosis.
    await expect(panel.locator('.jp-Repo2Docker-status')).toHaveCount(0);
    await expect(panel.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await shot(page, '01-alice-panel');

    const response = await submitBuild(page, {
      repo: env('FIXTURE_OK_URL')
    });
    expect(response.status(), await response.text()).toBe(202);
    okBuild = await response.json();
    expect(okBuild.owner).toBe('alice');
    expect(okBuild.name).toBe('ok');
    expect(okBuild.image).toMatch(/alice\/ok:/);
    await expect(form.getByRole('status')).toContainText(
      'its log is open in a tab'
    );
    await expect(buildItem(panel, okBuild.id)).toBeVisible();

    // The log viewer opens by itself, docked in the main area, and streams the build.
    const log = logWidget(page, okBuild.id);
    await expect(log).toBeVisible();
    await expect(log).toHaveClass(/jp-Repo2DockerLogWidget/);
    await expect(log.locator('.jp-Repo2DockerLog-line').first()).toBeVisible({
      timeout: 60_000
    });
    await shot(page, '01-alice-log-streaming');
    await expect(logRow(log, helloLine)).toBeVisible({ timeout: 150_000 });
    await expect(log.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'built',
      { timeout: 150_000 }
    );
    await expect(log.locator('.jp-Repo2DockerLog-phase-text')).toHaveText(
      'Built'
    );
    await expect(log.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Log complete'
    );
    await expect(
      page.locator('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current', {
        hasText: okBuild.displayName || okBuild.name
      })
    ).toContainText('Built');
    await shot(page, '01-alice-log-built');

    // The build is over in the list, and its image is there: hers, so she may delete it.
    await expect(buildItem(panel, okBuild.id)).toHaveClass(
      /jp-Repo2Docker-phase-built/,
      { timeout: 60_000 }
    );
    const image = imageItem(panel, okBuild.image);
    await expect(image).toBeVisible({ timeout: 60_000 });
    await expect(image.locator('.jp-Repo2Docker-owner')).toHaveText('alice');
    await expect(image.getByRole('button', { name: /^Delete / })).toBeVisible();
    await image.scrollIntoViewIfNeeded();
    await shot(page, '01-alice-image');
  });

  test("2. bob (reader) logs in: a read-only panel without any of alice's images", async () => {
    const page = pages.bob;
    const panel = await logIn('bob', '02-bob');

    // The read-only notice names the scope he lacks.
    const notice = panel.locator('.jp-Repo2Docker-status-warning');
    await expect(notice).toBeVisible();
    await expect(notice).toHaveAttribute('role', 'note');
    await expect(notice.locator('.jp-Repo2Docker-statusMessage')).toHaveText(
      'Read-only: you can see images and builds, but not build or delete them.'
    );
    await expect(notice.locator('code.jp-Repo2Docker-scope')).toHaveText([
      BUILD_SCOPE
    ]);
    await expect(panel.locator('.jp-Repo2Docker-status-error')).toHaveCount(0);
    // The form is there, but disabled.
    const form = buildForm(panel);
    await expect(form).toBeVisible();
    await expectFormEnabled(form, false);

    // None of alice's builds or images; no button to delete or cancel anything.
    await expect(buildItem(panel, okBuild.id)).toHaveCount(0);
    await expect(imageItem(panel, okBuild.image)).toHaveCount(0);
    await expect(
      panel.locator('.jp-Repo2Docker-owner', { hasText: /^alice$/ })
    ).toHaveCount(0);
    await expect(panel.getByRole('button', { name: /^Delete / })).toHaveCount(
      0
    );
    await expect(
      panel.getByRole('button', { name: /^Cancel build / })
    ).toHaveCount(0);
    await shot(page, '02-bob-panel');

    // The service agrees: alice's build and its log do not exist for him.
    expect(
      (
        await serviceCall(page, tokens.bob, 'GET', `/api/builds/${okBuild.id}`)
      ).status()
    ).toBe(404);
    expect(
      (
        await serviceCall(
          page,
          tokens.bob,
          'GET',
          `/api/builds/${okBuild.id}/logs`
        )
      ).status()
    ).toBe(404);
  });

  test('3. carol (no role) logs in: the panel names the missing access scope and the config to change', async () => {
    const page = pages.carol;
    await logInAndStartServer(page, 'carol', '03-carol');
    const panel = await openSidebar(page);

    const status = panel.locator('.jp-Repo2Docker-status-error');
    await expect(status).toBeVisible();
    await expect(status).toHaveAttribute('role', 'alert');
    await expect(status).toHaveAttribute('data-kind', 'missing_scope');
    await expect(status.locator('.jp-Repo2Docker-statusMessage')).toContainText(
      ACCESS_SCOPE
    );
    await expect(status.locator('code.jp-Repo2Docker-scope')).toHaveText(
      ACCESS_SCOPE
    );
    const diagnosis = status.locator('.jp-Repo2Docker-diagnosis');
    await expect(diagnosis).toContainText('jupyterhub_config.py');
    await expect(diagnosis).toContainText('c.JupyterHub.load_roles');
    await expect(diagnosis).toContainText(
      'c.Spawner.oauth_client_allowed_scopes'
    );
    await expect(diagnosis).toContainText(ACCESS_SCOPE);
    await expect(status.getByRole('button', { name: 'Retry' })).toBeVisible();
    // Nothing else: no form, no lists.
    await expect(buildForm(panel)).toHaveCount(0);
    await expect(panel.locator('.jp-Repo2Docker-section')).toHaveCount(0);
    await shot(page, '03-carol-diagnosis');
  });

  test("4. admin logs in: sees alice's build and image, and may delete it", async () => {
    const page = pages.admin;
    const panel = await logIn('admin', '04-admin');
    await expectFormEnabled(buildForm(panel), true);
    await expect(panel.locator('.jp-Repo2Docker-status')).toHaveCount(0);

    await expect(buildItem(panel, okBuild.id)).toHaveClass(
      /jp-Repo2Docker-phase-built/
    );
    const image = imageItem(panel, okBuild.image);
    await expect(image).toBeVisible();
    await expect(image.locator('.jp-Repo2Docker-owner')).toHaveText('alice');
    await expect(image.getByRole('button', { name: /^Delete / })).toBeVisible();
    await shot(page, '04-admin-panel');
  });

  test('5. alice starts a slow build, which stays running', async () => {
    const page = pages.alice;
    const panel = sidebar(page);
    const response = await submitBuild(page, {
      repo: env('FIXTURE_SLOW_URL'),
      name: 'slow'
    });
    expect(response.status(), await response.text()).toBe(202);
    slowBuild = await response.json();
    expect(slowBuild.owner).toBe('alice');
    expect(slowBuild.name).toBe('slow');
    expect(slowBuild.image).toMatch(/alice\/slow:/);

    // A second viewer opens beside the first; the build gets to its sleeping RUN step.
    const log = logWidget(page, slowBuild.id);
    await expect(log).toBeVisible();
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(2);
    await expect(logRow(log, sleepingLine)).toBeVisible({ timeout: 90_000 });
    await expect(log.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'building'
    );
    await expect(log.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Live'
    );
    const item = buildItem(panel, slowBuild.id);
    await expect(item).toHaveClass(/jp-Repo2Docker-phase-building/);
    await expect(
      item.getByRole('button', { name: 'Cancel build of slow' })
    ).toBeVisible();
    const now = await serviceCall(
      page,
      tokens.alice,
      'GET',
      `/api/builds/${slowBuild.id}`
    );
    expect((await now.json()).phase).toBe('building');
    await shot(page, '05-alice-slow-running');
  });

  test("6. bob sees none of alice's builds, not even the running one, nor their logs", async () => {
    const page = pages.bob;
    const panel = sidebar(page);
    await refreshPanel(page);
    await expect(panel.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await expect(buildItem(panel, slowBuild.id)).toHaveCount(0);
    await expect(imageItem(panel, okBuild.image)).toHaveCount(0);
    await expect(panel.getByRole('button', { name: /^Delete / })).toHaveCount(
      0
    );
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(0);
    await shot(page, '06-bob-during-slow-build');

    const list = await serviceCall(page, tokens.bob, 'GET', '/api/builds');
    expect(list.status()).toBe(200);
    const { builds } = (await list.json()) as { builds: BuildJson[] };
    expect(builds.filter(b => b.owner === 'alice')).toEqual([]);
    for (const apiPath of [
      `/api/builds/${slowBuild.id}`,
      `/api/builds/${slowBuild.id}/logs`
    ]) {
      expect(
        (await serviceCall(page, tokens.bob, 'GET', apiPath)).status(),
        apiPath
      ).toBe(404);
    }
    const images = await serviceCall(page, tokens.bob, 'GET', '/api/images');
    expect(images.status()).toBe(200);
    const body = (await images.json()) as {
      images: { name: string; owner: string }[];
    };
    expect(body.images.filter(i => i.owner === 'alice')).toEqual([]);
  });

  test("7. admin sees alice's running build, reads its log and cancels it", async () => {
    const page = pages.admin;
    const panel = sidebar(page);
    await refreshPanel(page);
    const item = buildItem(panel, slowBuild.id);
    await expect(item).toBeVisible();
    await expect(item).toHaveClass(/jp-Repo2Docker-phase-building/);
    await expect(buildItem(panel, okBuild.id)).toBeVisible();

    // Her live log, in the admin's JupyterLab.
    await item.getByRole('button', { name: /^Show log of slow/ }).click();
    const log = logWidget(page, slowBuild.id);
    await expect(log).toBeVisible();
    await expect(logRow(log, sleepingLine)).toBeVisible();
    await expect(log.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'building'
    );
    await shot(page, '07-admin-sees-running-build');

    const [cancel] = await Promise.all([
      page.waitForResponse(
        r =>
          r.request().method() === 'DELETE' &&
          r.url().endsWith(`/services/repo2docker/api/builds/${slowBuild.id}`)
      ),
      item.getByRole('button', { name: 'Cancel build of slow' }).click()
    ]);
    expect(cancel.status(), await cancel.text()).toBe(200);

    // Cancelled: in the admin's list and viewer...
    await expect(item).toHaveClass(/jp-Repo2Docker-phase-cancelled/);
    await expect(item.locator('span.jp-Repo2Docker-phase')).toHaveText(
      'Cancelled'
    );
    await expect(
      item.getByRole('button', { name: 'Cancel build of slow' })
    ).toHaveCount(0);
    await expect(log.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'cancelled'
    );
    await expect(log.locator('.jp-Repo2DockerLog-phase-text')).toHaveText(
      'Cancelled'
    );
    await expect(logRow(log, /\bwoke\s*$/)).toHaveCount(0);
    await shot(page, '07-admin-cancelled');

    // ...for the service (which says who cancelled it)...
    const now = await serviceCall(
      page,
      tokens.alice,
      'GET',
      `/api/builds/${slowBuild.id}`
    );
    const build = (await now.json()) as BuildJson;
    expect(build.phase).toBe('cancelled');
    expect(build.error ?? '').toMatch(/admin/);

    // ...and in alice's JupyterLab: her list, her viewer, and no slow image.
    const alice = pages.alice;
    const alicePanel = sidebar(alice);
    await expect(buildItem(alicePanel, slowBuild.id)).toHaveClass(
      /jp-Repo2Docker-phase-cancelled/
    );
    const aliceLog = logWidget(alice, slowBuild.id);
    await expect(aliceLog.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'cancelled'
    );
    await expect(aliceLog.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Log complete'
    );
    // No image of this build (an earlier run's slow image may stay in a shared engine).
    await expect(
      alicePanel.locator(
        `li.jp-Repo2Docker-image[data-image-name="${slowBuild.image}"]`
      )
    ).toHaveCount(0);
    await shot(alice, '07-alice-sees-cancelled');
  });

  test("8. alice opens the service's own page: OAuth through the hub, no confirmation", async () => {
    const page = await contexts.alice.newPage();
    page.on('pageerror', error =>
      pageErrors.push(`alice (service page): ${error}`)
    );
    const visited: string[] = [];
    page.on('request', request => {
      if (
        request.isNavigationRequest() &&
        request.frame() === page.mainFrame()
      ) {
        visited.push(new URL(request.url()).pathname);
      }
    });
    await page.goto(`${serviceUrl()}/`);
    await expect(page.locator('header')).toContainText('Signed in as alice');
    await expect(page.locator('#user')).toHaveText('alice');
    expect(page.url()).toBe(`${serviceUrl()}/`);
    expect(visited).toContain('/hub/api/oauth2/authorize');
    expect(visited).toContain('/services/repo2docker/oauth_callback');
    // She builds: the form is there.
    await expect(page.locator('#build-form')).toBeVisible();
    await expect(page.locator('#error')).toBeHidden();

    // Her builds (ok built, slow cancelled) and her image.
    const builds = page.locator('#builds li');
    await expect(
      builds
        .filter({ has: page.locator('strong', { hasText: /^ok$/ }) })
        .and(page.locator('li.phase-built'))
    ).toHaveCount(1);
    await expect(
      builds
        .filter({ has: page.locator('strong', { hasText: /^slow$/ }) })
        .and(page.locator('li.phase-cancelled'))
    ).toHaveCount(1);
    await expect(
      page.locator('#images li code', { hasText: okBuild.image })
    ).toHaveCount(1);
    await shot(page, '08-alice-service-page');
    await page.close();
  });

  test("9. alice's bad input (an image name with a space) is refused next to the name field; nothing starts", async () => {
    const page = pages.alice;
    const panel = await openSidebar(page);
    const form = buildForm(panel);
    const before = await serviceCall(page, tokens.alice, 'GET', '/api/builds');
    const idsBefore = ((await before.json()) as { builds: BuildJson[] }).builds
      .map(b => b.id)
      .sort();
    const itemsBefore = await panel.locator('li.jp-Repo2Docker-build').count();
    const viewersBefore = await page
      .locator('.jp-Repo2DockerLogWidget')
      .count();

    const response = await submitBuild(page, {
      repo: env('FIXTURE_OK_URL'),
      name: 'my image'
    });
    expect(response.status()).toBe(400);
    const body = (await response.json()) as {
      error: { code: string; field?: string; message: string };
    };
    expect(body.error.field).toBe('name');

    const name = form.locator('input[name="name"]');
    // (`has` takes a locator relative to the field: rooted at the page, not at the form.)
    const field = form.locator('.jp-Repo2Docker-field', {
      has: page.locator('input[name="name"]')
    });
    const error = field.locator('.jp-Repo2Docker-fieldError');
    await expect(error).toBeVisible();
    // In plain words, saying how to fix it (not the service's pattern of allowed characters).
    await expect(error).toContainText('Use lowercase letters, digits');
    await expect(error).toHaveAttribute('role', 'alert');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toHaveAttribute(
      'aria-describedby',
      (await error.getAttribute('id'))!
    );
    await expect(form.locator('.jp-Repo2Docker-fieldError')).toHaveCount(1);
    await expect(form.locator('.jp-Repo2Docker-formError')).toHaveCount(0);
    await expect(form.getByRole('status')).toHaveCount(0);
    await shot(page, '09-alice-bad-name');

    // Nothing started: not at the service, not in the list, no new viewer.
    const after = await serviceCall(page, tokens.alice, 'GET', '/api/builds');
    const idsAfter = ((await after.json()) as { builds: BuildJson[] }).builds
      .map(b => b.id)
      .sort();
    expect(idsAfter).toEqual(idsBefore);
    await refreshPanel(page);
    await expect(panel.locator('li.jp-Repo2Docker-build')).toHaveCount(
      itemsBefore
    );
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(
      viewersBefore
    );

    // Typing again clears the error.
    await name.fill('my-image');
    await expect(error).toHaveCount(0);
  });

  test('no page threw', async () => {
    expect(pageErrors).toEqual([]);
  });
});
