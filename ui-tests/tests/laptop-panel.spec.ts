/**
 * The first hour in the panel, in laptop mode (README's first command: `jupyter lab` with the
 * wheel, the service behind jupyter-server-proxy, the real Docker engine), in Chromium:
 * every image and build action pressed (copy, rebuild, show log, delete, cancel), a failed
 * build read at a glance, the panel with 200 builds and 200 images, accessibility (axe-core,
 * light and dark), and a viewer whose build the restarted service no longer knows.
 *
 * Needs JUPYTERLAB_URL, JUPYTERLAB_TOKEN and FIXTURE_OK_URL (scripts/test-ui.sh sets them); the
 * other fixtures (fail, slow) sit beside `ok`.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  api,
  buildAndWait,
  buildCard,
  cancelFromCard,
  buildFromForm,
  env,
  LAB_URL,
  makeImageFixtures,
  openLab,
  removeImages,
  shortName,
  SIDEBAR_ID,
  sidebar,
  TOKEN,
  type IBuild
} from './laptop-helpers';

const run = promisify(execFile);

const FIXTURE_OK_URL = env('FIXTURE_OK_URL');
const FIXTURES = FIXTURE_OK_URL.replace(/\/ok\/?$/, '');
const FIXTURE_FAIL_URL = `${FIXTURES}/fail`;
const FIXTURE_SLOW_URL = `${FIXTURES}/slow`;

/** Before/after screenshots for the issue's closing note (and the test's artifacts). */
const SCREENS =
  process.env.R2D_SCREENS_DIR ?? path.join(__dirname, '..', 'test-results');

function imageCard(panel: Locator, name: string): Locator {
  return panel.locator(`li.jp-Repo2Docker-image[data-image-name="${name}"]`);
}

async function refresh(panel: Locator): Promise<void> {
  await panel
    .locator('header')
    .getByRole('button', { name: 'Refresh' })
    .click();
}

async function setTheme(page: Page, theme: string): Promise<void> {
  if (
    (await page.locator('body').getAttribute('data-jp-theme-name')) === theme
  ) {
    return;
  }
  await page.evaluate(async name => {
    const app = (window as any).jupyterapp;
    if (app) {
      await app.commands.execute('apputils:change-theme', { theme: name });
    }
  }, theme);
  const exposed = await page.evaluate(() => 'jupyterapp' in window);
  if (!exposed) {
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
      .getByRole('menuitem', { name: theme, exact: true })
      .click();
  }
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-name',
    theme
  );
  // The theme's stylesheet is in once the sidebar's background follows it.
  const dark = theme.includes('Dark');
  await expect
    .poll(async () =>
      sidebar(page).evaluate(e => getComputedStyle(e).backgroundColor)
    )
    .toBe(dark ? 'rgb(33, 33, 33)' : 'rgb(255, 255, 255)');
}

/**
 * Serious and critical axe-core violations inside `selector`. JupyterLab's own main-area
 * toolbar is left out: its `ToolbarButtonComponent` sets `aria-pressed` on every button (an
 * `aria-allowed-attr` violation of JupyterLab 4.6 itself, on every toolbar of the application,
 * notebooks included), which the extension cannot change.
 */
async function axeViolations(page: Page, selector: string): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .include(selector)
    .exclude(`${selector} > jp-toolbar`)
    .analyze();
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(
      v =>
        `${v.id} (${v.impact}): ${v.help}: ${v.nodes
          .slice(0, 3)
          .map(n => `${n.target.join(' ')} ${n.failureSummary ?? ''}`)
          .join(' | ')}`
    );
}

test.describe.configure({ mode: 'serial' });

let okBuild: IBuild;

test.beforeAll(async ({ request }) => {
  okBuild = await buildAndWait(request, { repo: FIXTURE_OK_URL });
  expect(okBuild.phase, okBuild.error ?? '').toBe('built');
});

test('every image and build action works in laptop mode', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', error => pageErrors.push(String(error)));
  const panel = await openLab(page);
  const label = okBuild.displayName || okBuild.name;
  const image = imageCard(panel, okBuild.image);
  await expect(image).toBeVisible();

  await test.step('copy the image name', async () => {
    await image.getByRole('button', { name: `Copy name of ${label}` }).click();
    await expect(
      page.locator('.Toastify__toast', { hasText: `Copied ${okBuild.image}` })
    ).toBeVisible();
  });

  // Viewers restored from an earlier test of the suite (same workspace) may be open already.
  const viewers = page.locator('.jp-Repo2DockerLogWidget');
  let open = 0;
  await test.step("show the image's log", async () => {
    await image.getByRole('button', { name: `Show log of ${label}` }).click();
    const viewer = page.locator(
      `#repo2docker-log-${okBuild.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
    );
    await expect(viewer).toBeVisible();
    await expect(viewer.locator('.jp-Repo2DockerLog-connection')).toHaveText(
      'Log complete'
    );
    open = await viewers.count();
    // Showing it again focuses the same viewer instead of opening another.
    await image.getByRole('button', { name: `Show log of ${label}` }).click();
    await expect(viewer).toBeVisible();
    await expect(viewers).toHaveCount(open);
  });

  let rebuilt!: IBuild;
  await test.step('rebuild the image: a new viewer whose title tells it apart', async () => {
    const [response] = await Promise.all([
      page.waitForResponse(
        r =>
          r.request().method() === 'POST' && /\/api\/builds(\?|$)/.test(r.url())
      ),
      image.getByRole('button', { name: `Rebuild ${label}` }).click()
    ]);
    expect(response.status(), await response.text()).toBe(202);
    rebuilt = (await response.json()) as IBuild;
    expect(rebuilt.id).not.toBe(okBuild.id);
    await expect(viewers).toHaveCount(open + 1);
    await expect(buildCard(panel, rebuilt.id)).toHaveClass(
      /jp-Repo2Docker-phase-built/,
      { timeout: 180_000 }
    );
    const titles = await page
      .locator('#jp-main-dock-panel .lm-TabBar-tab .lm-TabBar-tabLabel')
      .allTextContents();
    const ours = titles.filter(t => t.startsWith(label));
    expect(ours.length).toBeGreaterThanOrEqual(2);
    // Every viewer of this image has its own title (the build's start time).
    expect(new Set(ours).size, ours.join(' / ')).toBe(ours.length);
    // The build card's "Show log" reveals the open viewer.
    await buildCard(panel, rebuilt.id)
      .getByRole('button', { name: /^Show log of / })
      .click();
    await expect(viewers).toHaveCount(open + 1);
  });

  await test.step('cancel a slow build', async () => {
    const started = Date.now();
    const slow = await buildFromForm(page, FIXTURE_SLOW_URL);
    const card = buildCard(panel, slow.id);
    await expect(card).toBeVisible();
    await cancelFromCard(page, card, slow.id);
    await expect(card).toHaveClass(/jp-Repo2Docker-phase-cancelled/, {
      timeout: 20_000
    });
    // Its RUN step sleeps 30 s: cancelled means it did not run to its end.
    expect(Date.now() - started).toBeLessThan(28_000);
    await expect(page.locator('.Toastify__toast--error')).toHaveCount(0);
  });

  await test.step('delete the image', async () => {
    await image.getByRole('button', { name: `Delete ${label}` }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(okBuild.image);
    const [response] = await Promise.all([
      page.waitForResponse(
        r =>
          r.request().method() === 'DELETE' && r.url().includes('/api/images/')
      ),
      dialog.getByRole('button', { name: 'Delete' }).click()
    ]);
    // 204: no body to read.
    expect([200, 204]).toContain(response.status());
    await expect(image).toHaveCount(0);
    const listed = await api<{ images: { name: string }[] }>(
      page.request,
      'GET',
      'api/images'
    );
    expect(listed.body.images.map(i => i.name)).not.toContain(okBuild.image);
    await expect(page.locator('.Toastify__toast--error')).toHaveCount(0);
  });

  expect(pageErrors).toEqual([]);
});

test('a failed build reads at a glance: one line, details on demand, the error line marked', async ({
  page
}) => {
  const panel = await openLab(page);
  const failed = await buildFromForm(page, FIXTURE_FAIL_URL);
  const card = buildCard(panel, failed.id);
  await expect(card).toHaveClass(/jp-Repo2Docker-phase-failed/, {
    timeout: 180_000
  });
  const summary = card.locator('.jp-Repo2Docker-errorSummary');
  await expect(summary).toBeVisible();
  // One line whatever the message's length.
  const lineHeight = await summary.evaluate(
    e => parseFloat(getComputedStyle(e).lineHeight) || 18
  );
  const box = await summary.boundingBox();
  expect(box!.height).toBeLessThanOrEqual(lineHeight * 1.5);
  const cardBox = await card.boundingBox();
  expect(cardBox!.height).toBeLessThan(160);
  await card.screenshot({ path: path.join(SCREENS, 'after-failed-card.png') });
  await page.screenshot({
    path: path.join(SCREENS, 'after-failed-card-page.png')
  });

  const toggle = card.getByRole('button', { name: 'Details' });
  if (await toggle.count()) {
    await toggle.click();
    await expect(card.locator('.jp-Repo2Docker-errorDetails')).toBeVisible();
    await card.getByRole('button', { name: 'Less' }).click();
    await expect(card.locator('.jp-Repo2Docker-errorDetails')).toHaveCount(0);
  }

  // The viewer (opened by the form) marks the first error line and shows it.
  const viewer = page.locator(
    `#repo2docker-log-${failed.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
  );
  await expect(viewer).toBeVisible();
  await expect(viewer.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
    'data-phase',
    'failed'
  );
  const errorRow = viewer.locator('.jp-Repo2DockerLog-line-error');
  await expect(errorRow).toBeVisible();
  await expect(errorRow).toBeInViewport();
  await expect(
    viewer.getByRole('button', { name: /^First error: line \d+/ })
  ).toBeVisible();
  await page.screenshot({
    path: path.join(SCREENS, 'after-failed-viewer.png')
  });
});

test('200 builds and 200 images: the panel stays navigable and the filter finds one', async ({
  page,
  request
}) => {
  test.setTimeout(10 * 60 * 1000);
  const base = await buildAndWait(request, { repo: FIXTURE_OK_URL });
  const names = await makeImageFixtures(base.image, 200, 'fx');
  try {
    // 200 real builds, fast: a slow build holds the user's one running slot, so each new one
    // waits in the queue and is cancelled there at once (no repo2docker run). The service
    // keeps only 20 "already built" answers per user, so those would not make 200.
    const holder = await api<IBuild>(request, 'POST', 'api/builds', {
      repo: FIXTURE_SLOW_URL,
      force: true
    });
    expect(holder.status, JSON.stringify(holder.body)).toBe(202);
    for (const name of names) {
      const r = await api<IBuild>(request, 'POST', 'api/builds', {
        repo: FIXTURE_SLOW_URL,
        name: shortName(name),
        force: true
      });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const cancel = await api<IBuild>(
        request,
        'DELETE',
        `api/builds/${r.body.id}`
      );
      expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    }
    await api(request, 'DELETE', `api/builds/${holder.body.id}`);
    const panel = await openLab(page);
    await refresh(panel);
    const images = panel.locator('section', {
      has: page.getByRole('button', { name: /^Images/ })
    });
    const builds = panel.locator('section', {
      has: page.getByRole('button', { name: /^Builds/ })
    });
    await expect(images.locator('.jp-Repo2Docker-count')).toHaveText(
      /^2\d\d$/,
      { timeout: 60_000 }
    );
    // A page of items, then "Show more": the list renders fast and the sections stay short.
    await expect(images.locator('li.jp-Repo2Docker-image')).toHaveCount(50);
    await expect(
      images.getByRole('button', { name: /^Show \d+ more images$/ })
    ).toBeVisible();
    await page.screenshot({ path: path.join(SCREENS, 'after-panel-200.png') });

    // Fold the builds away: the images come up.
    await builds.getByRole('button', { name: /^Builds/ }).click();
    await expect(builds.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await expect(
      builds.getByRole('button', { name: /^Builds/ })
    ).toHaveAttribute('aria-expanded', 'false');
    await builds.getByRole('button', { name: /^Builds/ }).click();

    // The filter finds one build and one image among 200 each.
    const filter = panel.getByRole('searchbox', {
      name: 'Filter builds and images'
    });
    await filter.fill('fx-137');
    await expect(images.locator('li.jp-Repo2Docker-image')).toHaveCount(1);
    await expect(images.locator('li.jp-Repo2Docker-image')).toHaveAttribute(
      'data-image-name',
      names[136]
    );
    await expect(builds.locator('li.jp-Repo2Docker-build')).toHaveCount(1);
    await expect(images.locator('.jp-Repo2Docker-count')).toHaveText(
      /^1 of 2\d\d$/
    );
    await page.screenshot({
      path: path.join(SCREENS, 'after-panel-200-filtered.png')
    });
    // Its actions are there and work: copy.
    await images
      .locator('li.jp-Repo2Docker-image')
      .getByRole('button', { name: /^Copy name of / })
      .click();
    await expect(
      page.locator('.Toastify__toast', { hasText: `Copied ${names[136]}` })
    ).toBeVisible();
    await filter.fill('');

    // "Clear finished" empties the build list, and it stays cleared after a reload.
    await builds.getByRole('button', { name: 'Clear finished' }).click();
    await expect(builds.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await expect(
      builds.getByRole('button', { name: /^Show \d+ cleared$/ })
    ).toBeVisible();
    await page.waitForTimeout(1000); // the state database saves asynchronously
    await page.reload();
    const again = await openLab(page);
    await expect(
      again
        .locator('section', {
          has: page.getByRole('button', { name: /^Images/ })
        })
        .locator('li.jp-Repo2Docker-image')
    ).toHaveCount(50, { timeout: 60_000 });
    await expect(again.locator('li.jp-Repo2Docker-build')).toHaveCount(0);
    await again.getByRole('button', { name: /^Show \d+ cleared$/ }).click();
    await expect(again.locator('li.jp-Repo2Docker-build')).toHaveCount(50);
  } finally {
    await removeImages(names);
  }
});

test('accessibility: no serious or critical axe-core violations in the panel and the viewer, light and dark', async ({
  page,
  request
}) => {
  const failed = await buildAndWait(request, { repo: FIXTURE_FAIL_URL });
  const panel = await openLab(page);
  await refresh(panel);
  await expect(buildCard(panel, failed.id)).toBeVisible();
  await buildCard(panel, failed.id)
    .getByRole('button', { name: /^Show log of / })
    .click();
  const viewer = `#repo2docker-log-${failed.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  await expect(
    page.locator(`${viewer} .jp-Repo2DockerLog-line-error`)
  ).toBeVisible();
  for (const theme of ['JupyterLab Light', 'JupyterLab Dark']) {
    await setTheme(page, theme);
    expect(
      await axeViolations(page, `#${SIDEBAR_ID}`),
      `panel, ${theme}`
    ).toEqual([]);
    expect(await axeViolations(page, viewer), `viewer, ${theme}`).toEqual([]);
  }
  await setTheme(page, 'JupyterLab Light');
});

/** The pid of the service that our `jupyter lab` (listening on LAB_URL's port) started. */
async function servicePid(): Promise<number> {
  const port = new URL(LAB_URL()).port;
  const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`]);
  const lab = /pid=(\d+)/.exec(stdout)?.[1];
  expect(lab, `no process listens on port ${port}`).toBeTruthy();
  const { stdout: children } = await run('ps', [
    '-o',
    'pid=,args=',
    '--ppid',
    lab!
  ]);
  const line = children
    .split('\n')
    .find(l => /repo2docker-service|service\.cjs|repo2docker_service/.test(l));
  expect(
    line,
    `no service among the children of ${lab}:\n${children}`
  ).toBeTruthy();
  return Number(line!.trim().split(/\s+/)[0]);
}

test("after the service restarts, a restored viewer says its build's log is gone", async ({
  page
}) => {
  const panel = await openLab(page);
  const slow = await buildFromForm(page, FIXTURE_SLOW_URL);
  const viewer = page.locator(
    `#repo2docker-log-${slow.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
  );
  await expect(viewer).toBeVisible();
  await expect(buildCard(panel, slow.id)).toBeVisible();
  // The workspace holds the viewer (the layout restorer saves it a moment after it opened).
  await expect
    .poll(
      async () => {
        const r = await page.request.get(
          `${LAB_URL()}/lab/api/workspaces/default`,
          {
            headers: { Authorization: `token ${TOKEN()}` }
          }
        );
        return r.ok() ? JSON.stringify(await r.json()) : '';
      },
      { timeout: 30_000 }
    )
    .toContain(`repo2docker-logs:${slow.id}`);

  // Kill our service (jupyter-server-proxy starts it again on the next request).
  const pid = await servicePid();
  process.kill(pid, 'SIGKILL');
  await page.reload();
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 90_000
  });
  await expect(viewer).toBeVisible({ timeout: 60_000 });
  await expect(viewer.locator('.jp-Repo2DockerLog-connection')).toHaveText(
    /this build's log is gone: the service restarted/i,
    { timeout: 90_000 }
  );
  // It stopped trying: no "reconnecting" after a while.
  await page.waitForTimeout(3000);
  await expect(viewer.locator('.jp-Repo2DockerLog-connection')).toHaveAttribute(
    'data-status',
    'error'
  );
  // The panel re-synced with the restarted service: the lost build is not listed as running.
  const again = await openLab(page);
  await expect(
    again.locator('li.jp-Repo2Docker-build.jp-Repo2Docker-phase-building')
  ).toHaveCount(0);
});
