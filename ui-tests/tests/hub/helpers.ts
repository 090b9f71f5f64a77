/**
 * What the hub tests do as a person would: log in on the hub's login page, start the server,
 * wait for JupyterLab, open the Environments sidebar; plus the few direct calls to the service
 * (with the token of the user's own JupyterLab) that check what the page cannot show.
 *
 * Environment (scripts/test-ui-hub.sh sets it): HUB_URL, FIXTURE_OK_URL, FIXTURE_SLOW_URL.
 */
import {
  expect,
  type APIResponse,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  type Response
} from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/** Whether the environment of scripts/test-ui-hub.sh is there (else the suite is skipped). */
export const HUB_ENV_SET = !!process.env.HUB_URL;

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the hub browser tests with scripts/test-ui-hub.sh`
    );
  }
  return value;
}

export const hubUrl = (): string => env('HUB_URL').replace(/\/+$/, '');
export const serviceUrl = (): string => `${hubUrl()}/services/repo2docker`;

export const SERVICE_NAME = 'repo2docker';
export const ACCESS_SCOPE = `access:services!service=${SERVICE_NAME}`;
export const BUILD_SCOPE = 'custom:repo2docker:build';

/** Screenshots are artifacts: ui-tests/test-results-hub/<name>.png. */
export const RESULTS = path.join(__dirname, '..', '..', 'test-results-hub');
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

/** The DOM id of a build's log widget (as `buildLogWidgetId` in src/logs/BuildLogWidget.ts). */
export function logWidget(page: Page, buildId: string): Locator {
  const id = `repo2docker-log-${buildId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return page.locator(`#jp-main-dock-panel #${id}`);
}

/** The row of a log whose text (not its line number) matches `text`. */
export function logRow(log: Locator, text: RegExp): Locator {
  return log.locator('.jp-Repo2DockerLog-line', {
    has: log.page().locator('.jp-Repo2DockerLog-lineText', { hasText: text })
  });
}

const SIDEBAR_ID = 'jp-repo2docker-environments';

export function sidebar(page: Page): Locator {
  return page.locator(`#${SIDEBAR_ID}`);
}

export function buildItem(panel: Locator, buildId: string): Locator {
  return panel.locator(`li.jp-Repo2Docker-build[data-build-id="${buildId}"]`);
}

export function imageItem(panel: Locator, name: string): Locator {
  return panel.locator(`li.jp-Repo2Docker-image[data-image-name="${name}"]`);
}

/**
 * Log in at `/hub/login` (the test hub's DummyAuthenticator takes any password). The hub then
 * sends the browser to its spawn page, which starts the server and, once it runs, goes on to
 * the user's JupyterLab. Screenshots: `<prefix>-login`, `<prefix>-spawn` (when the spawn page
 * was up long enough to be seen), `<prefix>-lab`.
 */
export async function logInAndStartServer(
  page: Page,
  user: string,
  prefix: string
): Promise<void> {
  const hub = hubUrl();
  await page.goto(`${hub}/hub/login`);
  await expect(page.locator('#username_input')).toBeVisible();
  await page.locator('#username_input').fill(user);
  await page.locator('#password_input').fill('any password');
  await shot(page, `${prefix}-login`);
  // After the login the hub sends the browser to its spawn page (/hub/spawn, which redirects to
  // /hub/spawn-pending/NAME while the server starts); that page goes on to JupyterLab.
  await Promise.all([
    page.waitForURL(
      url =>
        url.pathname.startsWith('/hub/spawn') ||
        url.pathname.startsWith(`/user/${user}/`),
      { waitUntil: 'commit' }
    ),
    page.locator('#login_submit').click()
  ]);
  if (new URL(page.url()).pathname.startsWith('/hub/spawn')) {
    await shot(page, `${prefix}-spawn`).catch(() => undefined);
  }
  const lab = new RegExp(`/user/${user}/lab`);
  await page.waitForURL(lab, { timeout: 90_000 });
  await waitForApp(page);
  await shot(page, `${prefix}-lab`);
}

/**
 * A browser context for one user of a hub test, in a window wide enough for the sidebar and the
 * log side by side. `timeout` / `navigationTimeout`: the context's defaults, where the suite
 * sets them (unset: Playwright's own).
 */
export async function newUserContext(
  browser: Browser,
  timeouts: { timeout?: number; navigationTimeout?: number } = {}
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 }
  });
  if (timeouts.timeout !== undefined) {
    context.setDefaultTimeout(timeouts.timeout);
  }
  if (timeouts.navigationTimeout !== undefined) {
    context.setDefaultNavigationTimeout(timeouts.navigationTimeout);
  }
  return context;
}

/**
 * `logInAndStartServer`, then the token of the user's JupyterLab and the Environments sidebar,
 * opened: where most steps of the hub tests begin.
 */
export async function logInToPanel(
  page: Page,
  user: string,
  prefix: string
): Promise<{ token: string; panel: Locator }> {
  await logInAndStartServer(page, user, prefix);
  const token = await labToken(page);
  const panel = await openSidebar(page);
  return { token, panel };
}

/**
 * `logInToPanel` for a suite that keeps one page and one token per user: logs `user` in on
 * `pages[user]` and keeps the token in `tokens[user]`; returns the panel.
 */
export async function logInUser<U extends string>(
  users: { pages: Record<U, Page>; tokens: Record<U, string> },
  user: U,
  prefix: string
): Promise<Locator> {
  const { token, panel } = await logInToPanel(users.pages[user], user, prefix);
  users.tokens[user] = token;
  return panel;
}

export async function waitForApp(page: Page): Promise<void> {
  await expect(page.locator('#jp-main-dock-panel')).toBeVisible({
    timeout: 90_000
  });
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 90_000
  });
}

/** Open the Environments sidebar unless it is open (a second click would close it). */
export async function openSidebar(page: Page): Promise<Locator> {
  const tab = page.locator(
    `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${SIDEBAR_ID}"]`
  );
  const panel = sidebar(page);
  await expect(tab).toBeVisible();
  if (!(await panel.isVisible())) {
    await tab.click();
  }
  await expect(panel).toBeVisible();
  await expect(
    panel.getByRole('heading', { name: 'Environments', level: 2 })
  ).toBeVisible();
  // Loaded: the first answer (or error) of the service is in.
  await expect(panel.locator('.jp-Repo2Docker-panel')).toHaveAttribute(
    'aria-busy',
    'false',
    { timeout: 60_000 }
  );
  return panel;
}

/** Press the panel's Refresh and wait for the list of builds it fetches. */
export async function refreshPanel(page: Page): Promise<void> {
  const panel = sidebar(page);
  await Promise.all([
    page.waitForResponse(
      r =>
        r.request().method() === 'GET' &&
        /\/services\/repo2docker\/api\/builds(\?|$)/.test(r.url())
    ),
    panel.locator('header').getByRole('button', { name: 'Refresh' }).click()
  ]);
}

export function buildForm(panel: Locator): Locator {
  return panel.getByRole('form', { name: 'Build an environment' });
}

/**
 * The form's fieldset is enabled (or disabled). Playwright's toBeEnabled/toBeDisabled only look at
 * form controls, never at a <fieldset> itself (toBeEnabled on one always passes): check the
 * fieldset's `disabled` property, and the controls it holds.
 */
export async function expectFormEnabled(
  form: Locator,
  enabled: boolean
): Promise<void> {
  // The outer fieldset (the first): the build-arguments editor is a fieldset inside it.
  await expect(form.locator('fieldset').first()).toHaveJSProperty(
    'disabled',
    !enabled,
    { timeout: 60_000 }
  );
  const controls = [
    form.getByLabel('Repository URL'),
    form.getByLabel('Image name'),
    form.getByRole('button', { name: 'Build', exact: true })
  ];
  for (const control of controls) {
    if (enabled) {
      await expect(control).toBeEnabled();
    } else {
      await expect(control).toBeDisabled();
    }
  }
}

/** The form is usable: the service answered `/api/info` and the user may build. */
export async function waitForForm(panel: Locator): Promise<Locator> {
  const form = buildForm(panel);
  await expect(form).toBeVisible({ timeout: 60_000 });
  await expectFormEnabled(form, true);
  await expect(panel.locator('.jp-Repo2Docker-status-error')).toHaveCount(0);
  return form;
}

export function isBuildPost(response: Response): boolean {
  return (
    response.request().method() === 'POST' &&
    /\/services\/repo2docker\/api\/builds(\?|$)/.test(response.url())
  );
}

export interface BuildJson {
  id: string;
  owner: string;
  name: string;
  displayName?: string | null;
  image: string;
  commit: string;
  phase: string;
  error?: string | null;
}

/** Fill the form and press Build; resolves with the service's answer to the POST. */
export async function submitBuild(
  page: Page,
  fields: { repo: string; name?: string }
): Promise<Response> {
  const form = await waitForForm(sidebar(page));
  await form.getByLabel('Repository URL').fill(fields.repo);
  await form.getByLabel('Image name').fill(fields.name ?? '');
  const [response] = await Promise.all([
    page.waitForResponse(isBuildPost),
    form.getByRole('button', { name: 'Build', exact: true }).click()
  ]);
  return response;
}

/** The token the hub gave this user's JupyterLab (its page config), which the panel uses. */
export async function labToken(page: Page): Promise<string> {
  const token = await page.evaluate(() => {
    const node = document.getElementById('jupyter-config-data');
    return node ? (JSON.parse(node.textContent || '{}').token as string) : '';
  });
  expect(token, "the page config holds the server's token").toBeTruthy();
  return token;
}

/** A call to the service through the hub's proxy with `token` (as the panel makes them). */
export async function serviceCall(
  page: Page,
  token: string,
  method: 'GET' | 'DELETE',
  apiPath: string
): Promise<APIResponse> {
  return page.request.fetch(`${serviceUrl()}${apiPath}`, {
    method,
    headers: { Authorization: `token ${token}`, Accept: 'application/json' },
    // The log endpoint streams (Server-Sent Events): only its status matters here.
    timeout: 30_000
  });
}
