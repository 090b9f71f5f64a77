/**
 * Build an environment from a folder under a real JupyterHub (issue 18), in Debian's Chromium:
 * the folder is on alice's own server, which packs it and uploads it to the service with the
 * token alice's request came with (her hub OAuth token, not the server's), at the address the
 * example config gives users' servers (c.Spawner.environment["REPO2DOCKER_SERVICE_URL"]).
 *
 *   1. alice makes a folder in her server (contents API): a Dockerfile FROM the rig's launchable
 *      base (the one of FIXTURE_LAUNCHABLE_URL) that copies the folder into her home, a marker
 *      with a fresh nonce, a nested file and one that .gitignore leaves out;
 *   2. right-clicks it in the file browser → "Build environment from this folder": the build is
 *      hers, its log opens and ends built, the image row says `folder <path>`;
 *   3. presses "Start server in <label>" on that image: the new server (a container from the
 *      image) has the marker and the nested file in its contents API, and not the ignored one.
 *
 * Needs HUB_URL and FIXTURE_LAUNCHABLE_URL (scripts/test-ui-hub.sh, per-server spawner); skipped
 * without them. Screenshots: ui-tests/test-results-hub/folder-NN-*.png.
 */
import {
  expect,
  test,
  type Browser,
  type BrowserContext,
  type Page
} from '@playwright/test';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';
import {
  env,
  hubUrl,
  imageItem,
  labToken,
  logInAndStartServer,
  logWidget,
  newUserContext,
  openSidebar,
  serviceUrl,
  shot,
  sidebar,
  waitForApp
} from './hub/helpers';

/** The launchable fixture's base image: its Dockerfile's FROM line. */
function launchableBase(): string {
  const dir = fileURLToPath(env('FIXTURE_LAUNCHABLE_URL'));
  const from = /^FROM\s+(\S+)/m.exec(
    fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')
  );
  if (!from) {
    throw new Error(`no FROM line in ${dir}/Dockerfile`);
  }
  return from[1];
}

/** A Dockerfile as the launchable fixture's (user jovyan, jupyterhub-singleuser), with the folder as the home. */
function dockerfile(base: string): string {
  return [
    `FROM ${base}`,
    // The base is Debian's apt variant: no useradd, so the user is written in directly.
    "RUN echo 'jovyan:x:1000:1000::/home/jovyan:/bin/bash' >>/etc/passwd \\",
    " && echo 'jovyan:x:1000:' >>/etc/group \\",
    // The home itself must be jovyan's (COPY --chown leaves an existing directory as it is):
    // jupyterhub-singleuser writes its runtime files there.
    ' && mkdir -p /home/jovyan && chown 1000:1000 /home/jovyan',
    'COPY --chown=1000:1000 . /home/jovyan/',
    'ENV HOME=/home/jovyan USER=jovyan',
    'WORKDIR /home/jovyan',
    'USER 1000',
    'CMD ["jupyterhub-singleuser"]',
    ''
  ].join('\n');
}

test.describe.configure({ mode: 'serial' });

test.describe('a folder of alice’s server built and started under JupyterHub', () => {
  test.skip(
    !process.env.HUB_URL || !process.env.FIXTURE_LAUNCHABLE_URL,
    'HUB_URL / FIXTURE_LAUNCHABLE_URL are not set: run with scripts/test-ui-hub.sh'
  );

  const nonce = randomBytes(8).toString('hex');
  const folder = `folder-hub-${nonce}`;
  const contexts: BrowserContext[] = [];
  let alice!: Page;
  let token = '';
  let image = '';
  let server = '';

  /** alice's own server's contents API. */
  const contents = (item: string, user = 'alice', name = '') =>
    `${hubUrl()}/user/${user}/${name ? `${name}/` : ''}api/contents/${item}`;

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    const context = await newUserContext(browser, { timeout: 30_000 });
    contexts.push(context);
    alice = await context.newPage();
  });

  test.afterAll(async () => {
    if (token && server) {
      await alice.request
        .delete(`${hubUrl()}/hub/api/users/alice/servers/${server}`, {
          headers: { Authorization: `token ${token}` }
        })
        .catch(() => undefined);
    }
    if (token && image) {
      // Not while the container runs it: the hub stops it first (a few seconds).
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const response = await alice.request
          .delete(`${serviceUrl()}/api/images/${encodeURIComponent(image)}`, {
            headers: { Authorization: `token ${token}` }
          })
          .catch(() => null);
        if (!response || response.status() !== 409) {
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 1000));
      }
    }
    for (const context of contexts) {
      await context.close();
    }
  });

  test('1. alice makes a folder in her server', async () => {
    await logInAndStartServer(alice, 'alice', 'folder-01-alice');
    token = await labToken(alice);
    const put = async (item: string, model: Record<string, unknown>) => {
      const response = await alice.request.put(contents(item), {
        headers: { Authorization: `token ${token}` },
        data: model
      });
      expect(response.status(), await response.text()).toBeLessThan(300);
    };
    const text = (item: string, content: string) =>
      put(item, { type: 'file', format: 'text', content });
    await put(folder, { type: 'directory' });
    await put(`${folder}/sub`, { type: 'directory' });
    await text(`${folder}/Dockerfile`, dockerfile(launchableBase()));
    await text(`${folder}/marker.txt`, `folder ${nonce}\n`);
    await text(`${folder}/sub/nested.txt`, 'nested\n');
    // The contents API refuses hidden files (allow_hidden is off): written on the disk of
    // alice's server (a local process of the rig, its root her home) instead.
    const onDisk = path.join(env('R2D_HUB_DIR'), 'home', 'alice', folder);
    expect(fs.existsSync(path.join(onDisk, 'marker.txt'))).toBe(true);
    fs.writeFileSync(path.join(onDisk, '.gitignore'), 'ignored.txt\n');
    await text(`${folder}/ignored.txt`, 'must not be uploaded\n');
    // Made behind the file browser's back: a reload lists it at once.
    await alice.reload();
    await waitForApp(alice);
  });

  test('2. right-click → Build environment from this folder: her build, its log, the image row says folder <path>', async () => {
    const browserTab = alice.locator(
      '.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]'
    );
    const files = alice.locator('#filebrowser');
    if (!(await files.isVisible())) {
      await browserTab.click();
    }
    const entry = files.locator('.jp-DirListing-item[data-isdir="true"]', {
      hasText: folder
    });
    await expect(entry).toBeVisible({ timeout: 30_000 });
    await entry.click({ button: 'right' });
    const menuItem = alice
      .locator('.lm-Menu')
      .getByRole('menuitem', { name: 'Build environment from this folder' });
    await expect(menuItem).toBeVisible();
    await shot(alice, 'folder-02-context-menu');
    const [response] = await Promise.all([
      alice.waitForResponse(
        r =>
          r.request().method() === 'POST' &&
          r.url().includes('/user/alice/jupyterlab-repo2docker/folder-build'),
        { timeout: 120_000 }
      ),
      menuItem.click()
    ]);
    const answer = await response.text();
    expect(response.status(), answer).toBe(202);
    const build = JSON.parse(answer) as {
      id: string;
      owner: string;
      image: string;
      folder: { path: string; digest: string } | null;
    };
    // Built under alice's name: the upload went with her token.
    expect(build.owner).toBe('alice');
    expect(build.folder?.path).toBe(folder);
    image = build.image;

    const log = logWidget(alice, build.id);
    await expect(log).toBeVisible();
    await expect(log.locator('.jp-Repo2DockerLog-phase')).toHaveAttribute(
      'data-phase',
      'built',
      { timeout: 300_000 }
    );
    const panel = await openSidebar(alice);
    const row = imageItem(panel, image);
    await expect(row).toBeVisible({ timeout: 60_000 });
    await expect(row).toContainText(`folder ${folder}`);
    await shot(alice, 'folder-02-built');
  });

  test('3. Start server in the image: the folder’s files are there, the ignored one is not', async () => {
    const row = imageItem(sidebar(alice), image);
    const start = row.getByRole('button', { name: /^Start server in / });
    await expect(start).toBeVisible();
    const [popup] = await Promise.all([
      alice.waitForEvent('popup', { timeout: 180_000 }),
      start.click()
    ]);
    await popup.waitForURL(/\/user\/alice\/[^/]+\/lab/, { timeout: 180_000 });
    await waitForApp(popup);
    server = /^\/user\/alice\/([^/]+)\/lab/.exec(
      new URL(popup.url()).pathname
    )![1];
    const serverToken = await labToken(popup);
    const read = (item: string) =>
      popup.request.get(
        `${contents(item, 'alice', server)}?content=1&type=file&format=text`,
        { headers: { Authorization: `token ${serverToken}` } }
      );
    const marker = await read('marker.txt');
    expect(marker.status(), await marker.text()).toBe(200);
    expect(((await marker.json()) as { content: string }).content).toBe(
      `folder ${nonce}\n`
    );
    const nested = await read('sub/nested.txt');
    expect(((await nested.json()) as { content: string }).content).toBe(
      'nested\n'
    );
    expect((await read('ignored.txt')).status()).toBe(404);
    await shot(popup, 'folder-03-new-lab');
    await popup.close();
  });
});
