/**
 * Benchmark of issue 13 under a real JupyterHub (the rig's per-server spawner: named servers are
 * containers from the users' images on the real engine): the time from pressing "Start server
 * in <label>" in the panel, in Debian's Chromium, to JupyterLab loaded in the new server (the
 * popup's app shell up, splash gone), against the same spawn started directly through the hub's
 * REST API (POST + progress to ready, then the same JupyterLab loaded in the same browser). Runs
 * alternate, ours then baseline, N times each; prints the medians and their ratio.
 *
 * When the panel has no "Start server" button (an older wheel in the venv), "ours" makes the
 * panel's exact hub calls from the page instead (GET the user's servers, POST with the image in
 * user_options, read the progress stream, window.open the server's lab) and says so.
 *
 * Usage: node --import tsx bench/launch.mts [runs per side, default 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { HubProcess } from '../service/test/helpers/hub.js';
import { spawnedContainers } from '../service/test/helpers/docker-cli.js';
import {
  makeLaunchableFixture,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { reportTarget } from './targets.mjs';

const runs = Number(process.argv[2] ?? 3);
requireRealParts();

const sleep = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms));
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const containersOf = (user: string): string[] =>
  spawnedContainers(user, { all: true });

async function waitForApp(page: Page): Promise<void> {
  await page
    .locator('#jp-main-dock-panel')
    .waitFor({ state: 'visible', timeout: 120_000 });
  await page
    .locator('#jupyterlab-splash')
    .waitFor({ state: 'detached', timeout: 120_000 });
}

const fixtureDir = mkdtempSync(join(tmpdir(), 'r2d-bench-launch-'));
const launchable = makeLaunchableFixture(fixtureDir);
const hub = await new HubProcess({
  env: { R2D_HUB_SPAWNER: 'per-server' },
  serviceConfig: { logLevel: 'warn' }
}).start();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking'
  ]
});
let image = '';
try {
  const token = await hub.token('alice');
  const started = await hub.api(token, 'POST', '/api/builds', {
    repo: `file://${launchable}`,
    ref: 'main'
  });
  const build = await hub.waitForBuild(token, started.body.id, 300);
  if (build.phase !== 'built') throw new Error(`fixture build ${build.phase}`);
  image = build.image;

  const hubApi = (method: string, path: string, body?: unknown) =>
    fetch(`${hub.url}/hub/api${path}`, {
      method,
      headers: {
        authorization: `token ${token}`,
        'content-type': 'application/json'
      },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  async function stopAll(): Promise<void> {
    const model = (await (await hubApi('GET', '/users/alice')).json()) as {
      servers?: Record<string, unknown>;
    };
    for (const name of Object.keys(model.servers ?? {})) {
      if (name)
        await hubApi('DELETE', `/users/alice/servers/${name}`, {
          remove: true
        });
    }
    const deadline = Date.now() + 60_000;
    while (containersOf('alice').length > 0 && Date.now() < deadline)
      await sleep(200);
  }

  // alice's own JupyterLab (a local process), with the panel open.
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 }
  });
  context.setDefaultTimeout(120_000);
  const lab = await context.newPage();
  await lab.goto(`${hub.url}/hub/login`);
  await lab.locator('#username_input').fill('alice');
  await lab.locator('#password_input').fill('any password');
  await lab.locator('#login_submit').click();
  await lab.waitForURL(/\/user\/alice\/lab/, { timeout: 120_000 });
  await waitForApp(lab);
  const tab = lab.locator(
    '.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jp-repo2docker-environments"]'
  );
  await tab.click();
  const row = lab.locator(
    `#jp-repo2docker-environments li.jp-Repo2Docker-image[data-image-name="${image}"]`
  );
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  const button = row.getByRole('button', { name: /^Start server in / });
  const viaButton = (await button.count()) > 0;

  /** Ours: press Start (or make the panel's calls in the page), until the popup's lab is up. */
  async function ours(run: number): Promise<number> {
    const t0 = performance.now();
    const popup = lab.waitForEvent('popup', { timeout: 120_000 });
    if (viaButton) {
      await button.click();
    } else {
      await lab.evaluate(
        async ({ image, name }) => {
          const config = JSON.parse(
            document.getElementById('jupyter-config-data')!.textContent!
          );
          const api = `${config.hubPrefix}api/users/${config.hubUser}`;
          const headers = { Authorization: `token ${config.token}` };
          const tab = window.open('', '_blank');
          await fetch(api, { headers, cache: 'no-store' });
          const post = await fetch(`${api}/servers/${name}`, {
            method: 'POST',
            headers: { ...headers, 'Content-Type': 'application/json' },
            body: JSON.stringify({ user_options: { image } })
          });
          if (!post.ok) throw new Error(`start: ${post.status}`);
          const progress = await fetch(`${api}/servers/${name}/progress`, {
            headers: { ...headers, Accept: 'text/event-stream' }
          });
          const reader = progress.body!.getReader();
          const decoder = new TextDecoder();
          let text = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) throw new Error('progress ended');
            text += decoder.decode(value, { stream: true });
            const ready = /data: (\{[^\n]*"ready": true[^\n]*\})/.exec(text);
            if (ready) {
              const url =
                JSON.parse(ready[1]).url ??
                `${config.hubPrefix.replace(/hub\/$/, '')}user/${config.hubUser}/${name}/`;
              tab!.location.href = `${url}lab`;
              return;
            }
          }
        },
        { image, name: `bench-ours-${run}` }
      );
    }
    const page = await popup.catch(async error => {
      // What the panel said about this start, and the hub's side, for the report.
      const said = await lab
        .locator('.jp-Repo2Docker-startMessage')
        .allTextContents()
        .catch(() => []);
      await lab.screenshot({
        path: join(tmpdir(), 'r2d-bench-launch-failed.png')
      });
      writeFileSync(join(tmpdir(), 'r2d-bench-launch-hub.log'), hub.output);
      console.error(`no popup; the panel says: ${JSON.stringify(said)}`);
      throw error;
    });
    await page.waitForURL(/\/user\/alice\/[^/]+\/lab/, { timeout: 120_000 });
    await waitForApp(page);
    const seconds = (performance.now() - t0) / 1000;
    await page.close();
    return seconds;
  }

  /** Baseline: the same spawn through the hub API directly, then the same lab in the browser. */
  async function baseline(run: number): Promise<number> {
    const name = `bench-direct-${run}`;
    const t0 = performance.now();
    const post = await hubApi('POST', `/users/alice/servers/${name}`, {
      user_options: { image }
    });
    if (![201, 202].includes(post.status))
      throw new Error(`start: ${post.status} ${await post.text()}`);
    const progress = await fetch(
      `${hub.url}/hub/api/users/alice/servers/${name}/progress`,
      {
        headers: {
          authorization: `token ${token}`,
          accept: 'text/event-stream'
        }
      }
    );
    const decoder = new TextDecoder();
    let text = '';
    let url = '';
    for await (const chunk of progress.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      const ready = /data: (\{[^\n]*"ready": true[^\n]*\})/.exec(text);
      if (ready) {
        url = JSON.parse(ready[1]).url ?? `/user/alice/${name}/`;
        break;
      }
    }
    const page = await context.newPage();
    await page.goto(`${hub.url}${url}lab`);
    await waitForApp(page);
    const seconds = (performance.now() - t0) / 1000;
    await page.close();
    return seconds;
  }

  await stopAll();
  const ourTimes: number[] = [];
  const baseTimes: number[] = [];
  for (let run = 0; run < runs; run++) {
    ourTimes.push(await ours(run));
    await stopAll();
    baseTimes.push(await baseline(run));
    await stopAll();
    console.error(
      `run ${run + 1}: ours ${ourTimes.at(-1)!.toFixed(2)} s, baseline ${baseTimes.at(-1)!.toFixed(2)} s`
    );
  }
  const a = median(ourTimes);
  const b = median(baseTimes);
  console.log(
    `Start server to JupyterLab loaded in the new server (Chromium, real hub, DockerSpawner), ${runs} alternating runs each, ${new Date().toISOString()}`
  );
  console.log('| path | median | runs |');
  console.log('| --- | --- | --- |');
  console.log(
    `| ours: ${viaButton ? "the panel's Start server button" : "the panel's hub calls from the page (no Start server button in this wheel)"} → popup's JupyterLab | ${a.toFixed(2)} s | ${ourTimes.map(t => t.toFixed(2)).join(', ')} |`
  );
  console.log(
    `| baseline: POST + progress through the hub API, then the same JupyterLab | ${b.toFixed(2)} s | ${baseTimes.map(t => t.toFixed(2)).join(', ')} |`
  );
  console.log(`ratio ours/baseline: ${(a / b).toFixed(2)} (target ≤ 1.2)`);
  reportTarget({
    measure:
      'Start server pressed → JupyterLab loaded in the new server, vs the same spawn through the hub API',
    target: 'ratio ≤ 1.2',
    result: `${(a / b).toFixed(2)} (${a.toFixed(2)} vs ${b.toFixed(2)} s, medians of ${runs})`,
    met: a / b <= 1.2
  });
  await context.close();
} finally {
  await browser.close();
  await hub.stop();
  if (image) execFileSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
  rmSync(fixtureDir, { recursive: true, force: true });
}
