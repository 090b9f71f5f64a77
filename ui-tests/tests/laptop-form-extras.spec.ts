/**
 * The build form's Advanced part and laptop mode's Start server, pressed in Chromium against the
 * real service and engine (scripts/test-ui.sh): a build argument typed into the editor reaches the
 * Dockerfile's build (it shows in the image's history, as the editor's warning says); a token
 * typed for a repository that cannot take one is refused in plain words and never shows on the
 * page; Start server without a hub shows the `docker run` command for the image.
 *
 * Needs JUPYTERLAB_URL, JUPYTERLAB_TOKEN and FIXTURE_OK_URL (scripts/test-ui.sh sets them).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { expect, test, type Page } from '@playwright/test';
import {
  api,
  buildFromForm,
  env,
  openLab,
  removeImages,
  sidebar,
  type IBuild
} from './laptop-helpers';

const run = promisify(execFile);

const FIXTURE_OK_URL = env('FIXTURE_OK_URL');

/**
 * A Dockerfile repository whose step prints and keeps its build argument, FROM scratch with the
 * ok fixture's busybox (no network), with a fresh nonce so that the step really runs.
 */
function makeBuildArgRepo(): string {
  const okDir = FIXTURE_OK_URL.replace(/^file:\/\//, '');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r2d-buildarg-'));
  fs.copyFileSync(path.join(okDir, 'busybox'), path.join(dir, 'busybox'));
  fs.writeFileSync(path.join(dir, 'nonce'), `${Date.now()}-${Math.random()}\n`);
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY nonce /nonce',
      'ARG GREETING',
      'RUN ["/bin/busybox", "sh", "-c", "echo greeting=$GREETING > /greeting"]',
      ''
    ].join('\n')
  );
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git(
    '-c',
    'user.name=fixture',
    '-c',
    'user.email=fixture@localhost',
    'commit',
    '-q',
    '-m',
    'build-arg fixture'
  );
  return dir;
}

async function openAdvanced(page: Page) {
  const form = sidebar(page).getByRole('form', {
    name: 'Build an environment'
  });
  const advanced = form.locator('details', { hasText: 'Advanced' }).first();
  if (!(await advanced.evaluate(el => (el as HTMLDetailsElement).open))) {
    await advanced.locator('summary').click();
  }
  return { form, advanced };
}

async function waitBuilt(
  page: Page,
  id: string,
  timeoutMs = 180_000
): Promise<IBuild> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const build = (await api<IBuild>(page.request, 'GET', `api/builds/${id}`))
      .body;
    if (['built', 'failed', 'cancelled'].includes(build.phase)) {
      return build;
    }
    if (Date.now() > deadline) {
      throw new Error(`build ${id} still ${build.phase}`);
    }
    await page.waitForTimeout(500);
  }
}

test.describe.configure({ mode: 'serial' });

let repoDir = '';
let builtImage = '';

test.afterAll(async () => {
  if (builtImage) {
    await removeImages([builtImage]);
  }
  if (repoDir) {
    fs.rmSync(repoDir, { recursive: true, force: true });
  }
});

test('a build argument added in Advanced reaches the Dockerfile build', async ({
  page
}) => {
  repoDir = makeBuildArgRepo();
  await openLab(page);
  const { advanced } = await openAdvanced(page);
  await expect(
    advanced.getByText("Values stay readable in the image's history", {
      exact: false
    })
  ).toBeVisible();
  await advanced.getByRole('button', { name: 'Add build argument' }).click();
  await advanced.getByLabel('Build argument name').fill('GREETING');
  await advanced
    .getByLabel('Build argument value')
    .fill('hello-from-the-editor');
  const started = await buildFromForm(page, `file://${repoDir}`);
  const build = await waitBuilt(page, started.id);
  expect(build.phase, build.error ?? '').toBe('built');
  builtImage = build.image;
  // BuildKit records a RUN step's build arguments in its history entry.
  const { stdout } = await run('docker', [
    'history',
    '--no-trunc',
    '--format',
    '{{.CreatedBy}}',
    build.image
  ]);
  expect(stdout).toContain('GREETING=hello-from-the-editor');
});

test('a token for a repository that cannot take one is refused in plain words and never shown', async ({
  page
}) => {
  const secret = `tok-${Date.now()}-never-on-the-page`;
  await openLab(page);
  const { form, advanced } = await openAdvanced(page);
  await form.getByLabel('Repository URL').fill(FIXTURE_OK_URL);
  await advanced.getByLabel('Username').fill('alice');
  await advanced.getByLabel('Token').fill(secret);
  await expect(advanced.getByLabel('Token')).toHaveAttribute(
    'type',
    'password'
  );
  const posts: string[] = [];
  page.on('request', request => {
    if (request.method() === 'POST' && /\/api\/builds/.test(request.url())) {
      posts.push(request.postData() ?? '');
    }
  });
  await form.getByRole('button', { name: 'Build', exact: true }).click();
  // file:// cannot carry credentials: the form says so (the panel's check or the service's 400).
  await expect(
    form.getByRole('alert').filter({ hasText: /https/ })
  ).toBeVisible();
  // No build was accepted with it, and nowhere on the page is the token's text.
  const builds = await api<{ builds: IBuild[] }>(
    page.request,
    'GET',
    'api/builds'
  );
  expect(JSON.stringify(builds.body)).not.toContain(secret);
  const text = await page.evaluate(() => document.body.innerText);
  expect(text).not.toContain(secret);
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  expect(html).not.toContain(secret);
  // Whatever was sent went in the credentials field, never in the URL.
  for (const body of posts) {
    expect(body).not.toMatch(new RegExp(`file://[^"]*${secret}`));
  }
});

test('Start server without a hub shows the docker run command for the image', async ({
  page
}) => {
  expect(builtImage, 'the image of the first test').not.toBe('');
  const panel = await openLab(page);
  const row = panel.locator(
    `li.jp-Repo2Docker-image[data-image-name="${builtImage}"]`
  );
  await expect(row).toBeVisible({ timeout: 60_000 });
  const start = row.getByRole('button', { name: /^Start server in / });
  const label = (await start.getAttribute('aria-label'))!.replace(
    /^Start server in /,
    ''
  );
  await start.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Start JupyterLab in ${label}`);
  const command = dialog.getByLabel('docker run command');
  await expect(command).toContainText('docker run');
  await expect(command).toContainText(builtImage);
  await expect(command).toContainText('127.0.0.1:8888:8888');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
});
