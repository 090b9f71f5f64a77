/**
 * Sharing an environment with a hub group (issue 14), in Debian's Chromium under the real
 * JupyterHub of scripts/test-ui-hub.sh:
 *
 *   set-up: the hub's group course-101 holds alice and bob (made through the hub's REST API with
 *           the rig's test-admin token, R2D_HUB_ADMIN_TOKEN, which has admin:groups).
 *   alice:  builds the ok fixture, sees the badge "Only me", presses "Share <label>", picks
 *           Groups → course-101 in the dialog and saves: the badge says "Groups: course-101".
 *   bob:    (in course-101) sees it under "Shared with you": "shared by alice", "via course-101".
 *   dave:   (a builder, not in the group) sees nothing of it, in the panel or through the API
 *           with hand-made requests.
 *   alice:  shares it with "Only me" again: bob's list no longer has it.
 *
 * Needs HUB_URL, FIXTURE_OK_URL and R2D_HUB_ADMIN_TOKEN; skipped without them.
 * Screenshots: ui-tests/test-results-hub/sharing-NN-*.png.
 */
import {
  expect,
  test,
  type Browser,
  type BrowserContext,
  type Page
} from '@playwright/test';
import {
  env,
  HUB_ENV_SET,
  hubUrl,
  imageItem,
  logInUser,
  newUserContext,
  refreshPanel,
  serviceCall,
  serviceUrl,
  shot,
  sidebar,
  submitBuild,
  type BuildJson
} from './hub/helpers';

type User = 'alice' | 'bob' | 'dave';
const USERS: User[] = ['alice', 'bob', 'dave'];
const GROUP = 'course-101';

test.describe.configure({ mode: 'serial' });

test.describe('sharing an environment with a hub group', () => {
  test.skip(
    !HUB_ENV_SET || !process.env.R2D_HUB_ADMIN_TOKEN,
    'HUB_URL or R2D_HUB_ADMIN_TOKEN is not set: run with scripts/test-ui-hub.sh'
  );

  const contexts = {} as Record<User, BrowserContext>;
  const pages = {} as Record<User, Page>;
  const tokens = {} as Record<User, string>;
  let image = '';
  let label = '';

  /** A call to the hub's REST API as the rig's test-admin service. */
  async function hubAdmin(
    page: Page,
    method: 'POST' | 'DELETE',
    apiPath: string,
    data?: unknown
  ): Promise<number> {
    const response = await page.request.fetch(`${hubUrl()}/hub/api${apiPath}`, {
      method,
      headers: {
        Authorization: `token ${env('R2D_HUB_ADMIN_TOKEN')}`,
        'Content-Type': 'application/json'
      },
      data: data === undefined ? undefined : JSON.stringify(data)
    });
    return response.status();
  }

  /** The names of the images the service lists for this user's token. */
  async function listedFor(user: User): Promise<string[]> {
    const response = await serviceCall(
      pages[user],
      tokens[user],
      'GET',
      '/api/images'
    );
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { images: { name: string }[] };
    return body.images.map(i => i.name);
  }

  const logIn = (user: User, prefix: string) =>
    logInUser({ pages, tokens }, user, prefix);

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    for (const user of USERS) {
      const context = await newUserContext(browser, {
        timeout: 30_000,
        navigationTimeout: 90_000
      });
      contexts[user] = context;
      pages[user] = await context.newPage();
    }
    // Before anyone logs in, so that every token lookup of the service sees the group.
    const made = await hubAdmin(pages.alice, 'POST', `/groups/${GROUP}`, {
      users: ['alice', 'bob']
    });
    if (made === 409) {
      expect(
        await hubAdmin(pages.alice, 'POST', `/groups/${GROUP}/users`, {
          users: ['alice', 'bob']
        })
      ).toBe(200);
    } else {
      expect(made, 'the test-admin service may create hub groups').toBe(201);
    }
  });

  test.afterAll(async () => {
    if (image && tokens.alice) {
      const response = await pages.alice.request.delete(
        `${serviceUrl()}/api/images/${encodeURIComponent(image)}`,
        { headers: { Authorization: `token ${tokens.alice}` } }
      );
      expect([200, 204, 404]).toContain(response.status());
    }
    if (pages.alice) {
      await hubAdmin(pages.alice, 'DELETE', `/groups/${GROUP}`).catch(
        () => undefined
      );
    }
    for (const user of USERS) {
      await contexts[user]?.close();
    }
  });

  test('1. alice builds, and shares the image with course-101 in the Share dialog', async () => {
    const page = pages.alice;
    const panel = await logIn('alice', 'sharing-01-alice');

    const response = await submitBuild(page, {
      repo: env('FIXTURE_OK_URL'),
      name: 'course-env'
    });
    // 202: built now; 200: the image exists already (an earlier suite built this fixture).
    expect([200, 202], await response.text()).toContain(response.status());
    const build = (await response.json()) as BuildJson;
    image = build.image;

    const row = imageItem(panel, image);
    await expect(row).toBeVisible({ timeout: 180_000 });
    await expect(row.locator('.jp-Repo2Docker-visibility')).toHaveText(
      'Only me'
    );
    const share = row.getByRole('button', { name: /^Share / });
    label = ((await share.getAttribute('aria-label')) ?? '').replace(
      /^Share /,
      ''
    );
    expect(label).not.toBe('');
    await share.click();

    const dialog = page.getByRole('dialog', { name: `Share ${label}` });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('radio', { name: 'Only me' })).toBeChecked();
    await expect(
      dialog.getByRole('radio', { name: 'Everyone on the hub' })
    ).toBeVisible();
    await dialog.getByRole('radio', { name: 'Groups' }).check();
    await dialog.getByRole('checkbox', { name: GROUP }).check();
    await shot(page, 'sharing-01-alice-dialog');
    const [put] = await Promise.all([
      page.waitForResponse(
        r => r.request().method() === 'PUT' && /\/sharing(\?|$)/.test(r.url())
      ),
      dialog.getByRole('button', { name: 'Save' }).click()
    ]);
    expect(put.status(), await put.text()).toBe(200);
    expect(JSON.parse(put.request().postData() ?? '{}')).toEqual({
      visibility: 'groups',
      groups: [GROUP]
    });
    await expect(dialog).toHaveCount(0);
    await expect(row.locator('.jp-Repo2Docker-visibility')).toHaveText(
      `Groups: ${GROUP}`
    );
    await shot(page, 'sharing-01-alice-shared');
  });

  test('2. bob (in course-101) sees it under Shared with you', async () => {
    const page = pages.bob;
    const panel = await logIn('bob', 'sharing-02-bob');
    await refreshPanel(page);
    const section = panel.getByRole('region', { name: /^Shared with you/ });
    await expect(section).toBeVisible({ timeout: 30_000 });
    const row = imageItem(section, image);
    await expect(row).toBeVisible();
    await expect(row).toContainText('shared by alice');
    await expect(row).toContainText(`via ${GROUP}`);
    // Not his: no badge, no Share, no Delete.
    await expect(row.getByRole('button', { name: /^Share / })).toHaveCount(0);
    await expect(row.getByRole('button', { name: /^Delete / })).toHaveCount(0);
    await row.scrollIntoViewIfNeeded();
    await shot(page, 'sharing-02-bob-shared-with-you');
    expect(await listedFor('bob')).toContain(image);
  });

  test('3. dave (not in the group) sees nothing of it, not even through the API', async () => {
    const page = pages.dave;
    const panel = await logIn('dave', 'sharing-03-dave');
    await refreshPanel(page);
    await expect(imageItem(panel, image)).toHaveCount(0);
    // The engine is shared with other suites: images of the shared namespace may be listed
    // here, but nothing of alice's.
    await expect(panel.getByText('shared by alice')).toHaveCount(0);
    await shot(page, 'sharing-03-dave-panel');

    expect(await listedFor('dave')).not.toContain(image);
    for (const query of [
      `?owner=alice`,
      `?repo=${encodeURIComponent(env('FIXTURE_OK_URL'))}`
    ]) {
      const response = await serviceCall(
        page,
        tokens.dave,
        'GET',
        `/api/images${query}`
      );
      expect(response.status()).toBe(200);
      expect(await response.text()).not.toContain(image);
    }
    // Hand-made: change alice's sharing, delete her image.
    const put = await page.request.fetch(
      `${serviceUrl()}/api/images/${encodeURIComponent(image)}/sharing`,
      {
        method: 'PUT',
        headers: {
          Authorization: `token ${tokens.dave}`,
          'Content-Type': 'application/json'
        },
        data: JSON.stringify({ visibility: 'everyone', groups: [] })
      }
    );
    expect([403, 404]).toContain(put.status());
    const remove = await serviceCall(
      page,
      tokens.dave,
      'DELETE',
      `/api/images/${encodeURIComponent(image)}`
    );
    expect([403, 404]).toContain(remove.status());
    expect(await listedFor('alice')).toContain(image);
  });

  test('4. alice shares it with Only me again: bob no longer sees it', async () => {
    const page = pages.alice;
    const panel = sidebar(page);
    const row = imageItem(panel, image);
    await row.getByRole('button', { name: `Share ${label}` }).click();
    const dialog = page.getByRole('dialog', { name: `Share ${label}` });
    await expect(dialog.getByRole('radio', { name: 'Groups' })).toBeChecked();
    await dialog.getByRole('radio', { name: 'Only me' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(row.locator('.jp-Repo2Docker-visibility')).toHaveText(
      'Only me'
    );
    expect(await listedFor('bob')).not.toContain(image);
    await refreshPanel(pages.bob);
    await expect(imageItem(sidebar(pages.bob), image)).toHaveCount(0);
  });
});
