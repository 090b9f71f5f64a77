/**
 * The Environments sidebar as a person uses it, against a real `jupyter lab` with the project's
 * wheel, the real service behind jupyter-server-proxy and the real Docker engine:
 * build the `ok` fixture, watch its log stream, find its image, get a bad repository refused,
 * reload (the log viewer comes back), switch to the dark theme.
 *
 * Needs JUPYTERLAB_URL, JUPYTERLAB_TOKEN and FIXTURE_OK_URL (scripts/test-ui.sh sets them).
 */
import {
  expect,
  test,
  type Locator,
  type Page,
  type Response
} from '@playwright/test';
import * as path from 'path';

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the browser tests with scripts/test-ui.sh`
    );
  }
  return value;
}

const LAB_URL = env('JUPYTERLAB_URL').replace(/\/+$/, '');
const TOKEN = env('JUPYTERLAB_TOKEN');
const FIXTURE_OK_URL = env('FIXTURE_OK_URL');

/** Screenshots are artifacts: ui-tests/test-results/<name>. */
const SCREENSHOTS = path.join(__dirname, '..', 'test-results');
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

/** The DOM id of a build's log widget (as `buildLogWidgetId` in src/logs/BuildLogWidget.ts). */
function logWidgetSelector(buildId: string): string {
  return `#repo2docker-log-${buildId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const SIDEBAR_ID = 'jp-repo2docker-environments';

function sidebarTab(page: Page): Locator {
  return page.locator(
    `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${SIDEBAR_ID}"]`
  );
}

function sidebar(page: Page): Locator {
  return page.locator(`#${SIDEBAR_ID}`);
}

/** Open the Environments sidebar unless it is open already (a second click would close it). */
async function openSidebar(page: Page): Promise<Locator> {
  const panel = sidebar(page);
  await expect(sidebarTab(page)).toBeVisible();
  if (!(await panel.isVisible())) {
    await sidebarTab(page).click();
  }
  await expect(panel).toBeVisible();
  await expect(sidebarTab(page)).toHaveClass(/lm-mod-current/);
  return panel;
}

async function waitForApp(page: Page): Promise<void> {
  await expect(page.locator('#jp-main-dock-panel')).toBeVisible({
    timeout: 90_000
  });
  // The splash screen goes once the application has started.
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 90_000
  });
}

/** The form is usable: the service answered `/api/info` and the user may build. */
async function waitForForm(panel: Locator): Promise<Locator> {
  const form = panel.getByRole('form', { name: 'Build an environment' });
  await expect(form).toBeVisible({ timeout: 90_000 });
  await expect(form.locator('fieldset').first()).toBeEnabled({
    timeout: 90_000
  });
  await expect(panel.locator('.jp-Repo2Docker-status-error')).toHaveCount(0);
  return form;
}

function isBuildPost(response: Response): boolean {
  const request = response.request();
  return (
    request.method() === 'POST' &&
    /\/repo2docker\/api\/builds(\?|$)/.test(response.url())
  );
}

/** The service's own list of builds (through the proxy, with the server's token). */
async function serviceBuildIds(page: Page): Promise<string[]> {
  const response = await page.request.get(`${LAB_URL}/repo2docker/api/builds`, {
    headers: { Authorization: `token ${TOKEN}` }
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { builds: { id: string }[] };
  return body.builds.map(build => build.id).sort();
}

/** Parse `rgb()`/`rgba()` into [r, g, b, a]. */
function parseColor(color: string): [number, number, number, number] {
  const m = color.match(/rgba?\(([^)]+)\)/);
  if (!m) {
    throw new Error(`unexpected color ${color}`);
  }
  const parts = m[1]
    .split(/[,\s/]+/)
    .filter(Boolean)
    .map(Number);
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}

function luminance(color: string): number {
  const [r, g, b] = parseColor(color).map(c => c / 255);
  const lin = (c: number) =>
    c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The text colour of `locator` and the first opaque background behind it. */
async function colors(
  locator: Locator
): Promise<{ color: string; background: string }> {
  return locator.evaluate(element => {
    const color = getComputedStyle(element).color;
    let node: Element | null = element;
    while (node) {
      const bg = getComputedStyle(node).backgroundColor;
      const alpha = bg.startsWith('rgba')
        ? Number(bg.split(',')[3]?.replace(')', ''))
        : 1;
      if (bg && bg !== 'transparent' && alpha > 0) {
        return { color, background: bg };
      }
      node = node.parentElement;
    }
    return { color, background: 'rgb(255, 255, 255)' };
  });
}

/** Text on its background must be readable (WCAG contrast ≥ 3) and the theme's way round. */
async function expectThemed(
  locator: Locator,
  dark: boolean,
  what: string
): Promise<void> {
  const { color, background } = await colors(locator);
  const fg = luminance(color);
  const bg = luminance(background);
  const contrast = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  expect(contrast, `${what}: ${color} on ${background}`).toBeGreaterThanOrEqual(
    3
  );
  if (dark) {
    expect(
      bg,
      `${what}: background ${background} in the dark theme`
    ).toBeLessThan(0.1);
  } else {
    expect(
      bg,
      `${what}: background ${background} in the light theme`
    ).toBeGreaterThan(0.5);
  }
}

/** The row of the log whose text (not its line number) matches `text`. */
function helloRow(logWidget: Locator, text: RegExp): Locator {
  return logWidget.locator('.jp-Repo2DockerLog-line', {
    has: logWidget
      .page()
      .locator('.jp-Repo2DockerLog-lineText', { hasText: text })
  });
}

/** Images this test built, deleted afterwards so that runs do not pile them up in the engine. */
const builtImages: string[] = [];

test.afterEach(async ({ request }) => {
  for (const name of builtImages.splice(0)) {
    const response = await request.delete(
      `${LAB_URL}/repo2docker/api/images/${encodeURIComponent(name)}`,
      { headers: { Authorization: `token ${TOKEN}` } }
    );
    expect([200, 204, 404], `delete ${name}: ${response.status()}`).toContain(
      response.status()
    );
  }
});

test('build an environment from the Environments sidebar', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', error => pageErrors.push(String(error)));

  let build!: {
    id: string;
    image: string;
    name: string;
    displayName?: string | null;
  };
  let logWidget!: Locator;
  // The RUN step's output (not the line that echoes the command, which also holds the words).
  const helloLine = /hello from the ok fixture\s*$/;

  await test.step('open JupyterLab', async () => {
    await page.goto(`${LAB_URL}/lab?token=${TOKEN}`);
    await waitForApp(page);
  });

  await test.step('open the Environments sidebar', async () => {
    const panel = await openSidebar(page);
    await expect(
      panel.getByRole('heading', { name: 'Environments', level: 2 })
    ).toBeVisible();
    await waitForForm(panel);
    // A fresh service has no build yet.
    await expect(panel.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await expectThemed(
      panel.locator('.jp-Repo2Docker-title'),
      false,
      'panel title (light)'
    );
    await shot(page, 'panel-light.png');
  });

  await test.step('build the ok fixture', async () => {
    const panel = sidebar(page);
    const form = await waitForForm(panel);
    await form.getByLabel('Repository URL').fill(FIXTURE_OK_URL);
    const [response] = await Promise.all([
      page.waitForResponse(isBuildPost),
      form.getByRole('button', { name: 'Build', exact: true }).click()
    ]);
    expect(response.status(), await response.text()).toBe(202);
    build = await response.json();
    builtImages.push(build.image);
    expect(build.id).toBeTruthy();
    expect(build.image).toContain('/ok:');
    await expect(form.getByRole('status')).toContainText(
      'its log is open in a tab'
    );
    // The build is listed in the sidebar.
    await expect(
      panel.locator(`li.jp-Repo2Docker-build[data-build-id="${build.id}"]`)
    ).toBeVisible();
  });

  await test.step('the log viewer opens and streams the build', async () => {
    // It opens by itself in the main area when the form starts a build.
    logWidget = page.locator(
      `#jp-main-dock-panel ${logWidgetSelector(build.id)}`
    );
    await expect(logWidget).toBeVisible();
    await expect(logWidget).toHaveClass(/jp-Repo2DockerLogWidget/);
    const line = helloRow(logWidget, helloLine);
    await expect(line).toBeVisible({ timeout: 180_000 });
    await expect(logWidget.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'built',
      { timeout: 180_000 }
    );
    await expect(logWidget).toHaveClass(/jp-mod-phase-built/);
    await expect(logWidget.locator('.jp-Repo2DockerLog-phase-text')).toHaveText(
      'Built'
    );
    await expect(logWidget.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Log complete'
    );
    // Line numbers and a line count that agree with the rows.
    const count = await logWidget
      .locator('.jp-Repo2DockerLog-line:visible')
      .count();
    expect(count).toBeGreaterThan(1);
    await expect(logWidget.locator('.jp-Repo2DockerLog-lineCount')).toHaveText(
      /^\d[\d,]* lines?$/
    );
    // The tab tells the phase.
    const label = build.displayName || build.name;
    await expect(
      page.locator('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current', {
        hasText: label
      })
    ).toContainText('Built');
    await expectThemed(
      line.locator('.jp-Repo2DockerLog-lineText'),
      false,
      'log line (light)'
    );
    await shot(page, 'viewer-light.png');
  });

  await test.step('the image appears in the images list', async () => {
    const panel = sidebar(page);
    const buildItem = panel.locator(
      `li.jp-Repo2Docker-build[data-build-id="${build.id}"]`
    );
    await expect(buildItem).toHaveClass(/jp-Repo2Docker-phase-built/, {
      timeout: 60_000
    });
    const image = panel.locator(
      `li.jp-Repo2Docker-image[data-image-name="${build.image}"]`
    );
    await expect(image).toBeVisible({ timeout: 60_000 });
    // One line: repository and a short tag; the full name is the tooltip (and what "copy" copies).
    await expect(image.locator('.jp-Repo2Docker-imageLine')).toHaveAttribute(
      'title',
      build.image
    );
    await expect(image.locator('code.jp-Repo2Docker-imageName')).toHaveText(
      `${build.image.slice(0, build.image.lastIndexOf(':'))}:${build.commit.slice(0, 12)}`
    );
    await expect(
      panel.locator('li.jp-Repo2Docker-image[data-image-name*="/ok:"]').first()
    ).toBeVisible();
    await image.scrollIntoViewIfNeeded();
    await shot(page, 'images-light.png');

    // The build's "Show log" button reveals the viewer that is open, rather than a second one.
    await buildItem.getByRole('button', { name: /^Show log of / }).click();
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(1);
    await expect(logWidget).toBeVisible();
  });

  await test.step('a bad repository is refused next to the field', async () => {
    const panel = sidebar(page);
    const form = await waitForForm(panel);
    const buildsBefore = await serviceBuildIds(page);
    const itemsBefore = await panel.locator('li.jp-Repo2Docker-build').count();
    const repo = form.getByLabel('Repository URL');
    await repo.fill('--upload-pack=x');
    const [response] = await Promise.all([
      page.waitForResponse(isBuildPost),
      form.getByRole('button', { name: 'Build', exact: true }).click()
    ]);
    // The service refused it (not the browser).
    expect(response.status()).toBe(400);
    const body = (await response.json()) as {
      error: { field?: string; message: string };
    };
    expect(body.error.field).toBe('repo');

    const field = form.locator('.jp-Repo2Docker-field', {
      has: page.locator('input[name="repo"]')
    });
    const error = field.locator('.jp-Repo2Docker-fieldError');
    await expect(error).toBeVisible();
    // In plain words, saying what to enter (not the service's 'repo must not begin with "-"').
    await expect(error).toContainText(
      'Enter the repository’s address beginning with https://'
    );
    // The admin allows local repositories in this test's service: file:// is named too.
    await expect(error).toContainText('file:///absolute/path');
    await expect(error).toHaveAttribute('role', 'alert');
    await expect(repo).toHaveAttribute('aria-invalid', 'true');
    const errorId = await error.getAttribute('id');
    await expect(repo).toHaveAttribute('aria-describedby', errorId!);
    // Only the repo field is at fault, and no form-level error repeats it.
    await expect(form.locator('.jp-Repo2Docker-fieldError')).toHaveCount(1);
    await expect(form.locator('.jp-Repo2Docker-formError')).toHaveCount(0);
    await shot(page, 'bad-input-light.png');

    // No new build: not at the service, not in the sidebar (after a refresh), no new viewer.
    expect(await serviceBuildIds(page)).toEqual(buildsBefore);
    await Promise.all([
      page.waitForResponse(
        r =>
          r.request().method() === 'GET' &&
          /\/repo2docker\/api\/builds(\?|$)/.test(r.url())
      ),
      panel.locator('header').getByRole('button', { name: 'Refresh' }).click()
    ]);
    await expect(panel.locator('li.jp-Repo2Docker-build')).toHaveCount(
      itemsBefore
    );
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(1);

    // Typing again clears the error.
    await repo.fill(FIXTURE_OK_URL);
    await expect(error).toHaveCount(0);
    await expect(repo).not.toHaveAttribute('aria-invalid', 'true');
  });

  await test.step('reload: the log viewer is restored', async () => {
    // Wait until the workspace holds the viewer, as it does a moment after it opened.
    await expect
      .poll(
        async () => {
          const response = await page.request.get(
            `${LAB_URL}/lab/api/workspaces/default`,
            {
              headers: { Authorization: `token ${TOKEN}` }
            }
          );
          return response.ok() ? JSON.stringify(await response.json()) : '';
        },
        { timeout: 30_000 }
      )
      .toContain(`repo2docker-logs:${build.id}`);

    await page.reload();
    await waitForApp(page);
    await expect(logWidget).toBeVisible({ timeout: 60_000 });
    await expect(page.locator('.jp-Repo2DockerLogWidget')).toHaveCount(1);
    await expect(helloRow(logWidget, helloLine)).toBeVisible({
      timeout: 60_000
    });
    await expect(logWidget.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'built'
    );
    await expect(logWidget.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Log complete'
    );
    await expect(
      page.locator('#jp-main-dock-panel .lm-TabBar-tab', {
        hasText: build.displayName || build.name
      })
    ).toHaveCount(1);
  });

  await test.step('the dark theme', async () => {
    const exposed = await page.evaluate(() => 'jupyterapp' in window);
    if (exposed) {
      await page.evaluate(() =>
        (window as any).jupyterapp.commands.execute('apputils:change-theme', {
          theme: 'JupyterLab Dark'
        })
      );
    } else {
      await page
        .locator('#jp-MainMenu')
        .getByRole('menuitem', { name: 'Settings', exact: true })
        .click();
      await page
        .locator('.lm-Menu .lm-Menu-item[data-type="submenu"]', {
          hasText: /^Theme$/
        })
        .hover();
      await page
        .locator('.lm-Menu')
        .getByRole('menuitem', { name: 'JupyterLab Dark', exact: true })
        .click();
    }
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-name',
      'JupyterLab Dark'
    );
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      'false'
    );
    const panel = await openSidebar(page);
    // The theme's stylesheet has been applied.
    await expect
      .poll(async () =>
        luminance(
          (await colors(panel.locator('.jp-Repo2Docker-title'))).background
        )
      )
      .toBeLessThan(0.1);
    await waitForForm(panel);
    await expectThemed(
      panel.locator('.jp-Repo2Docker-title'),
      true,
      'panel title (dark)'
    );
    await expectThemed(
      panel.locator(
        `li.jp-Repo2Docker-image[data-image-name="${build.image}"] code`
      ),
      true,
      'image name (dark)'
    );
    await shot(page, 'panel-dark.png');

    await page
      .locator('#jp-main-dock-panel .lm-TabBar-tab', {
        hasText: build.displayName || build.name
      })
      .click();
    await expect(logWidget).toBeVisible();
    const line = helloRow(logWidget, helloLine);
    await expect(line).toBeVisible();
    await expectThemed(
      line.locator('.jp-Repo2DockerLog-lineText'),
      true,
      'log line (dark)'
    );
    await expectThemed(
      logWidget.locator('.jp-Repo2DockerLog-phase-text'),
      true,
      'log phase (dark)'
    );
    await shot(page, 'viewer-dark.png');
  });

  // Nothing on the page threw.
  expect(pageErrors).toEqual([]);
});
