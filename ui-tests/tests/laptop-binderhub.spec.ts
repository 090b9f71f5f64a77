/**
 * The panel once against the BinderHub backend (issue 16), in laptop mode: `jupyter lab` with the
 * wheel, the service behind jupyter-server-proxy with `backend.kind: "binderhub"`, a real
 * BinderHub (scripts/start-binderhub.sh, local repo2docker builds on this engine), Chromium.
 * The panel is the same whichever backend builds: the fixture built from the form, its log
 * streamed live while BinderHub builds, its image listed with the user as owner, a slow build
 * cancelled.
 *
 * Runs under scripts/test-ui-binderhub.sh, which sets R2D_UI_BACKEND=binderhub and the
 * BinderHub's image prefix; the plain laptop run (scripts/test-ui.sh alone) skips it.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { expect, test, type Locator, type Page } from '@playwright/test';
import {
  api,
  buildCard,
  cancelFromCard,
  buildFromForm,
  env,
  imageLabels,
  openLab,
  removeImages,
  type IBuild
} from './laptop-helpers';

const run = promisify(execFile);
const OWNER_LABEL = 'org.jupyter.repo2docker-service.owner';

test.skip(
  process.env.R2D_UI_BACKEND !== 'binderhub',
  'needs the BinderHub backend: scripts/test-ui-binderhub.sh'
);
test.describe.configure({ mode: 'serial' });

const fixtures = () => env('FIXTURE_OK_URL').replace(/\/ok\/?$/, '');

const viewerOf = (page: Page, id: string): Locator =>
  page.locator(`#repo2docker-log-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`);
/** The labels of an image, or null once the engine has no such image. */
const labelsOf = (image: string): Promise<Record<string, string> | null> =>
  imageLabels(image).catch(() => null);

const made: string[] = [];
test.afterAll(async () => {
  await removeImages(made);
});

test('through BinderHub: the fixture built from the panel, its log streamed, its image listed with the user as owner', async ({
  page
}) => {
  const pageErrors: string[] = [];
  page.on('pageerror', error => pageErrors.push(String(error)));
  const info = await api<{ user: { name: string } }>(
    page.request,
    'GET',
    'api/info'
  );
  expect(info.status).toBe(200);
  const user = info.body.user.name;
  const panel = await openLab(page);
  const build = await buildFromForm(page, env('FIXTURE_OK_URL'), [202]);
  made.push(build.image);
  const viewer = viewerOf(page, build.id);
  await expect(viewer).toBeVisible();
  // BinderHub's own words and the RUN step's output, relayed into our log.
  await expect(viewer).toContainText('Asking BinderHub at', {
    timeout: 60_000
  });
  await expect(buildCard(panel, build.id)).toHaveClass(
    /jp-Repo2Docker-phase-built/,
    { timeout: 180_000 }
  );
  await expect(viewer).toContainText('hello from the ok fixture');
  await expect(viewer.locator('.jp-Repo2DockerLog-connection')).toHaveText(
    'Log complete'
  );

  const final = (
    await api<IBuild>(page.request, 'GET', `api/builds/${build.id}`)
  ).body;
  expect(final.image).toMatch(new RegExp(`^r2d-${user}/ok:`));
  const image = panel.locator(
    `li.jp-Repo2Docker-image[data-image-name="${final.image}"]`
  );
  await expect(image).toBeVisible({ timeout: 30_000 });
  await expect(image.locator('.jp-Repo2Docker-owner')).toHaveText(user);
  const listed = await api<{ images: { name: string; owner: string }[] }>(
    page.request,
    'GET',
    'api/images'
  );
  expect(listed.body.images).toContainEqual(
    expect.objectContaining({ name: final.image, owner: user })
  );
  expect((await labelsOf(final.image))?.[OWNER_LABEL]).toBe(user);
  // BinderHub's own name went once the image was ours.
  const prefix = env('R2D_UI_BINDERHUB_IMAGE_PREFIX');
  const { stdout } = await run('docker', [
    'images',
    '--quiet',
    '--filter',
    `reference=${prefix}*`
  ]);
  expect(stdout.trim()).toBe('');
  expect(pageErrors).toEqual([]);
});

test('through BinderHub: a slow build streams its first line live, then is cancelled from the panel', async ({
  page
}) => {
  const panel = await openLab(page);
  const slow = await buildFromForm(page, `${fixtures()}/slow`, [202]);
  const card = buildCard(panel, slow.id);
  const viewer = viewerOf(page, slow.id);
  // "sleeping" is printed before a 30 s sleep: seen while the build still runs = live.
  await expect(viewer).toContainText('sleeping', { timeout: 90_000 });
  await expect(card).toHaveClass(/jp-Repo2Docker-phase-(fetching|building)/);
  const asked = Date.now();
  await cancelFromCard(page, card, slow.id);
  await expect(card).toHaveClass(/jp-Repo2Docker-phase-cancelled/, {
    timeout: 10_000
  });
  // Our side stops at once (BinderHub's silent step runs on: it notices at its next line).
  expect(Date.now() - asked).toBeLessThan(10_000);
  expect(await labelsOf(slow.image)).toBeNull();
  await expect(page.locator('.Toastify__toast--error')).toHaveCount(0);
});
