/**
 * Build an environment from a folder (issue 18), in laptop mode: the real `jupyter lab` with the
 * wheel (its server extension packs the folder), the service behind jupyter-server-proxy (its
 * upload route unpacks and builds it) and the real Docker engine, in Chromium.
 *
 * A folder made through the contents API (a FROM-scratch Dockerfile that copies the folder into
 * the image, a marker with a fresh nonce, a file its .gitignore leaves out) is right-clicked in
 * the file browser → "Build environment from this folder": the build's log opens, the build
 * finishes, the image row says `folder <path>`, and the image holds the marker but not the
 * ignored file. Then the form's "From folder…" asks for the same folder: "Already built" (the
 * same content digest).
 *
 * Needs JUPYTERLAB_URL and JUPYTERLAB_TOKEN (scripts/test-ui.sh sets them):
 *   flock /tmp/r2d-build.lock bash scripts/test-ui.sh tests/laptop-folder.spec.ts
 */
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { expect, test, type APIRequestContext } from '@playwright/test';
import {
  api,
  env,
  LAB_URL,
  openLabPage,
  showSidebar,
  SIDEBAR_ID,
  TOKEN,
  type IBuild
} from './laptop-helpers';

const run = promisify(execFile);

/** PUT one item through the Jupyter server's contents API. */
async function put(
  request: APIRequestContext,
  path: string,
  model: Record<string, unknown>
): Promise<void> {
  const response = await request.put(`${LAB_URL()}/api/contents/${path}`, {
    headers: { Authorization: `token ${TOKEN()}` },
    data: model
  });
  expect(response.status(), await response.text()).toBeLessThan(300);
}

async function putText(
  request: APIRequestContext,
  path: string,
  content: string
): Promise<void> {
  await put(request, path, { type: 'file', format: 'text', content });
}

/**
 * The Jupyter server's root directory, from its runtime file (test-ui.sh exports
 * JUPYTER_RUNTIME_DIR): the server the tests talk to is the one listening on JUPYTERLAB_URL.
 */
async function rootDir(): Promise<string> {
  const dir = env('JUPYTER_RUNTIME_DIR');
  const port = new URL(LAB_URL()).port;
  for (const name of fs.readdirSync(dir)) {
    if (/^jpserver-\d+\.json$/.test(name)) {
      const info = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
      if (String(info.port) === port) {
        return info.root_dir as string;
      }
    }
  }
  throw new Error(`no jpserver-*.json for port ${port} in ${dir}`);
}

/** The folder: what is built, and what must not reach the image. */
async function makeFolder(
  request: APIRequestContext,
  folder: string,
  nonce: string
): Promise<void> {
  await put(request, folder, { type: 'directory' });
  await put(request, `${folder}/sub`, { type: 'directory' });
  // FROM scratch and no RUN: nothing to pull, no network (shared/NOTES.md); the whole build
  // context is copied in so the test can look at what was packed.
  await putText(
    request,
    `${folder}/Dockerfile`,
    'FROM scratch\nCOPY . /srv/folder\n'
  );
  await putText(request, `${folder}/marker.txt`, `folder ${nonce}\n`);
  await putText(request, `${folder}/sub/nested.txt`, 'nested\n');
  // The contents API refuses hidden files (allow_hidden is off): written on the disk instead.
  fs.writeFileSync(
    path.join(await rootDir(), folder, '.gitignore'),
    'ignored.txt\n'
  );
  await putText(request, `${folder}/ignored.txt`, 'must not be uploaded\n');
}

/** A file of an image (`null` when it has none there), without running the image. */
async function fileInImage(
  image: string,
  path: string
): Promise<string | null> {
  const { stdout } = await run('docker', ['create', image, 'none']);
  const container = stdout.trim();
  try {
    const { stdout: tar } = await run(
      'docker',
      ['cp', `${container}:${path}`, '-'],
      { encoding: 'latin1', maxBuffer: 16 * 1024 * 1024 }
    );
    // `docker cp … -` writes a tar of the one file: its content follows the 512-byte header.
    const size = parseInt(tar.slice(124, 136).replace(/\0.*$/, '').trim(), 8);
    return Buffer.from(tar.slice(512, 512 + size), 'latin1').toString('utf8');
  } catch {
    return null;
  } finally {
    await run('docker', ['rm', '-f', container]).catch(() => undefined);
  }
}

test.describe('build an environment from a folder (laptop mode)', () => {
  const nonce = randomBytes(8).toString('hex');
  const folder = `folder-e2e-${nonce}`;
  let built: IBuild | null = null;

  test.afterAll(async ({ request }) => {
    // The folder goes with test-ui.sh's root directory; the image is this test's to remove.
    if (built) {
      await api(
        request,
        'DELETE',
        `api/images/${encodeURIComponent(built.image)}`
      );
    }
  });

  test('right-click a folder → build → log, listed as folder <path>, the folder inside the image', async ({
    page,
    request
  }) => {
    await makeFolder(request, folder, nonce);
    await openLabPage(page);
    const browser = await showSidebar(page, 'filebrowser');
    const entry = browser.locator('.jp-DirListing-item[data-isdir="true"]', {
      hasText: folder
    });
    await expect(entry).toBeVisible({ timeout: 30_000 });

    await entry.click({ button: 'right' });
    const menuItem = page
      .locator('.lm-Menu')
      .getByRole('menuitem', { name: 'Build environment from this folder' });
    await expect(menuItem).toBeVisible();
    const [response] = await Promise.all([
      page.waitForResponse(
        r =>
          r.request().method() === 'POST' &&
          r.url().includes('/jupyterlab-repo2docker/folder-build'),
        { timeout: 120_000 }
      ),
      menuItem.click()
    ]);
    const answer = await response.text();
    expect(response.status(), answer).toBe(202);
    const build = JSON.parse(answer) as IBuild & {
      folder: { path: string; digest: string } | null;
    };
    expect(build.folder?.path).toBe(folder);
    expect(build.folder?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Its log opens, as for a repository build, and follows it to the end. (Viewers of earlier
    // specs' builds may be restored beside it: find this build's by its widget id.)
    const viewer = page.locator(
      `.jp-Repo2DockerLogWidget#repo2docker-log-${build.id.replace(/[^A-Za-z0-9_-]/g, '_')}`
    );
    await expect(viewer).toHaveCount(1);
    await expect(viewer.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'built',
      { timeout: 180_000 }
    );
    await page.screenshot({ path: test.info().outputPath('folder-built.png') });

    // The panel lists the build and its image, with the folder as its source.
    const panel = await showSidebar(page, SIDEBAR_ID);
    const card = panel.locator(
      `li.jp-Repo2Docker-build[data-build-id="${build.id}"]`
    );
    await expect(card).toBeVisible({ timeout: 30_000 });
    await expect(card).toContainText(`folder ${folder}`);
    const final = (await api<IBuild>(request, 'GET', `api/builds/${build.id}`))
      .body;
    expect(final.phase).toBe('built');
    built = final;
    const image = panel.locator(
      `li.jp-Repo2Docker-image[data-image-name="${final.image}"]`
    );
    await expect(image).toBeVisible({ timeout: 30_000 });
    await expect(image).toContainText(`folder ${folder}`);
    await expect(page.locator('.Toastify__toast--error')).toHaveCount(0);

    // What was packed: the marker and the nested file, not what .gitignore leaves out.
    expect(await fileInImage(final.image, '/srv/folder/marker.txt')).toBe(
      `folder ${nonce}\n`
    );
    expect(await fileInImage(final.image, '/srv/folder/sub/nested.txt')).toBe(
      'nested\n'
    );
    expect(
      await fileInImage(final.image, '/srv/folder/ignored.txt')
    ).toBeNull();

    // The same folder again, from the form's "From folder…": the same digest, already built.
    const form = panel.getByRole('form', { name: 'Build an environment' });
    await form.getByRole('button', { name: 'From folder…' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('input').fill(folder);
    await dialog.getByRole('button', { name: 'Build' }).click();
    await expect(
      page.locator('.Toastify__toast', {
        hasText: `Already built: ${final.image}`
      })
    ).toBeVisible({ timeout: 60_000 });
  });
});
