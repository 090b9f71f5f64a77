/**
 * Helpers of the laptop-mode browser tests (`jupyter lab` with the wheel, the service behind
 * jupyter-server-proxy, the real Docker engine): the service's API with the server's token, and
 * many image fixtures made fast.
 *
 * Many images: one tiny filesystem imported with `docker import` once per image, each with the
 * service's labels copied from a real build of the same fixture (so the service lists them and
 * answers a build request for them as "already built", which makes a finished build record per
 * image in a few milliseconds instead of a real build).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import {
  expect,
  type APIRequestContext,
  type Locator,
  type Page
} from '@playwright/test';

const run = promisify(execFile);

export function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run the browser tests with scripts/test-ui.sh`
    );
  }
  return value;
}

export const LAB_URL = () => env('JUPYTERLAB_URL').replace(/\/+$/, '');
export const TOKEN = () => env('JUPYTERLAB_TOKEN');

export const SIDEBAR_ID = 'jp-repo2docker-environments';

export function sidebar(page: Page): Locator {
  return page.locator(`#${SIDEBAR_ID}`);
}

export function buildCard(panel: Locator, id: string): Locator {
  return panel.locator(`li.jp-Repo2Docker-build[data-build-id="${id}"]`);
}

/** JupyterLab with the server's token, once its splash screen is gone. */
export async function openLabPage(page: Page): Promise<void> {
  await page.goto(`${LAB_URL()}/lab?token=${TOKEN()}`);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 90_000
  });
}

/** Show a left sidebar by its tab id; returns the sidebar. */
export async function showSidebar(page: Page, id: string): Promise<Locator> {
  const tab = page.locator(
    `.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="${id}"]`
  );
  const panel = page.locator(`#${id}`);
  await expect(tab).toBeVisible();
  // The restored workspace may open the sidebar a moment later: click only while it is closed
  // (a click on the open one would close it), and check again.
  await expect(async () => {
    if (!(await tab.evaluate(e => e.classList.contains('lm-mod-current')))) {
      await tab.click();
    }
    await expect(panel).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  return panel;
}

/** JupyterLab with the Environments sidebar open and its form usable (the service answered). */
export async function openLab(page: Page): Promise<Locator> {
  await openLabPage(page);
  const panel = await showSidebar(page, SIDEBAR_ID);
  const form = panel.getByRole('form', { name: 'Build an environment' });
  // The form's outer fieldset (the Advanced part has its own).
  await expect(form.locator('fieldset').first()).toBeEnabled({
    timeout: 90_000
  });
  return panel;
}

/** The service's API through the proxy, with the Jupyter server's token. */
export async function api<T>(
  request: APIRequestContext,
  method: 'GET' | 'POST' | 'DELETE',
  apiPath: string,
  body?: unknown
): Promise<{ status: number; body: T }> {
  const response = await request.fetch(`${LAB_URL()}/repo2docker/${apiPath}`, {
    method,
    headers: {
      Authorization: `token ${TOKEN()}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {})
    },
    data: body !== undefined ? JSON.stringify(body) : undefined
  });
  const text = await response.text();
  return {
    status: response.status(),
    body: (text ? JSON.parse(text) : undefined) as T
  };
}

export interface IBuild {
  id: string;
  image: string;
  name: string;
  displayName: string;
  phase: string;
  commit: string;
  error: string | null;
  logAvailable?: boolean;
}

/**
 * Start a build from the panel's form; returns the service's answer, whose status must be one of
 * `accepted`.
 */
export async function buildFromForm(
  page: Page,
  repo: string,
  accepted: number[] = [200, 202]
): Promise<IBuild> {
  const form = sidebar(page).getByRole('form', {
    name: 'Build an environment'
  });
  await form.getByLabel('Repository URL').fill(repo);
  const [response] = await Promise.all([
    page.waitForResponse(
      r =>
        r.request().method() === 'POST' &&
        /\/repo2docker\/api\/builds(\?|$)/.test(r.url())
    ),
    form.getByRole('button', { name: 'Build', exact: true }).click()
  ]);
  expect(accepted, await response.text()).toContain(response.status());
  return (await response.json()) as IBuild;
}

/** Press Cancel on a build's card; the service must answer the cancel with 200. */
export async function cancelFromCard(
  page: Page,
  card: Locator,
  buildId: string
): Promise<void> {
  const [response] = await Promise.all([
    page.waitForResponse(
      r => r.request().method() === 'DELETE' && r.url().includes(buildId)
    ),
    card.getByRole('button', { name: /^Cancel build of / }).click()
  ]);
  expect(response.status(), await response.text()).toBe(200);
}

/** Start a build and wait until it is final; returns the final build. */
export async function buildAndWait(
  request: APIRequestContext,
  body: Record<string, unknown>,
  timeoutMs = 180_000
): Promise<IBuild> {
  const started = await api<IBuild>(request, 'POST', 'api/builds', body);
  if (started.status !== 200 && started.status !== 202) {
    throw new Error(
      `POST api/builds: ${started.status} ${JSON.stringify(started.body)}`
    );
  }
  const deadline = Date.now() + timeoutMs;
  let build = started.body;
  while (!['built', 'failed', 'cancelled'].includes(build.phase)) {
    if (Date.now() > deadline) {
      throw new Error(`build ${build.id} still ${build.phase}`);
    }
    await new Promise(r => setTimeout(r, 500));
    build = (await api<IBuild>(request, 'GET', `api/builds/${build.id}`)).body;
  }
  return build;
}

/** The labels of an image in the engine. */
export async function imageLabels(
  image: string
): Promise<Record<string, string>> {
  const { stdout } = await run('docker', [
    'image',
    'inspect',
    '--format',
    '{{json .Config.Labels}}',
    image
  ]);
  return JSON.parse(stdout) as Record<string, string>;
}

const LABEL_PREFIX = 'org.jupyter.repo2docker-service.';

/**
 * `count` images named `<repository of base>/../<prefix>-NNN:<tag of base>`, each with the
 * labels of `base` but its own name, display name and build id. Returns their names.
 */
export async function makeImageFixtures(
  base: string,
  count: number,
  prefix: string
): Promise<string[]> {
  const labels = await imageLabels(base);
  const colon = base.lastIndexOf(':');
  const repository = base.slice(0, colon);
  const tag = base.slice(colon + 1);
  const namespace = repository.slice(0, repository.lastIndexOf('/'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r2d-images-'));
  fs.writeFileSync(path.join(dir, 'marker'), 'fixture\n');
  const tar = path.join(dir, 'fs.tar');
  await run('tar', ['-cf', tar, '-C', dir, 'marker']);
  const names: string[] = [];
  const one = async (i: number) => {
    const short = `${prefix}-${String(i).padStart(3, '0')}`;
    const name = `${namespace}/${short}:${tag}`;
    const mine: Record<string, string> = {
      ...labels,
      [`${LABEL_PREFIX}name`]: short,
      [`${LABEL_PREFIX}display-name`]: short,
      [`${LABEL_PREFIX}build-id`]: `fixture${String(i).padStart(9, '0')}`
    };
    const changes = Object.entries(mine).flatMap(([k, v]) => [
      '--change',
      `LABEL ${k}=${JSON.stringify(v)}`
    ]);
    await run('docker', ['import', ...changes, tar, name]);
    names.push(name);
  };
  const queue = Array.from({ length: count }, (_, i) => i + 1);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        await one(i);
      }
    })
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return names.sort();
}

/** Remove images from the engine (the fixtures made above). */
export async function removeImages(names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 50) {
    await run('docker', ['rmi', '-f', ...names.slice(i, i + 50)]).catch(
      () => undefined
    );
  }
}

/** The short name (`name` of a build request) of a fixture image name. */
export function shortName(image: string): string {
  const repository = image.slice(0, image.lastIndexOf(':'));
  return repository.slice(repository.lastIndexOf('/') + 1);
}
