/**
 * Benchmark (issue 17): an admin's Environments panel with thousands of images, in Debian's
 * Chromium driven by Playwright. The page (bench/panel/page.tsx, bundled with esbuild) renders
 * the real panel — real model, real client, React components — against the real service (run as
 * a child process, local mode: its user is an admin and sees every owner's images), reached on
 * loopback through a same-origin proxy here that serves the page and adds the service token.
 *
 * Measured per size, median of RUNS fresh pages per mode, the modes alternating:
 *   first paint: panel mounted and model started → first image rows painted (two frames after
 *                the rows are in the DOM);
 *   filter:      one input event in the filter box (a paste) → the rows of that text painted
 *                (ours includes its 200 ms debounce and the service's answer).
 * Baseline in the same run: the same panel with `imagePageSize: Infinity`, i.e. as before this
 * issue — the whole list fetched, sorted and filtered in the page, the first 50 rows rendered.
 *
 * The images: one fixture built by the service, then copies of its labels loaded with one
 * `docker load` per size (service/test/helpers/labelled-images.ts), owners alice, bob, carol and
 * dave. All in an engine of this benchmark's own (bench/scale-engine.mts), thrown away at the
 * end: the shared engine would take minutes to drop 10,000 images, and stay slower after.
 *
 * Usage: node --import tsx bench/panel-scale.mts [images...]   (default 2500 5000 10000)
 * Env: RUNS (default 3); TIMELINE=1 prints each first paint's requests, PROFILE=1 the functions
 * that took its time (with BENCH_MINIFY=0 for readable names). Writes
 * bench/results/panel-scale-<time>.{md,json}.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { imageLabels } from '../service/test/helpers/docker-cli.js';
import { loadLabelledImages } from '../service/test/helpers/labelled-images.js';
import { freePort } from '../service/test/helpers/net.js';
import {
  makeFixtures,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { ServiceProcess } from '../service/test/helpers/service-process.js';
import { pageBundleOptions } from './page-bundle.mjs';
import { ScaleEngine } from './scale-engine.mjs';
import { reportTarget } from './targets.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const SIZES = (
  process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['2500', '5000', '10000']
)
  .map(Number)
  .sort((a, b) => a - b);
const RUNS = Number(process.env.RUNS ?? 3);
const TARGET_MS = 500;
const TARGET_AT = 5000;
const OWNERS = ['alice', 'bob', 'carol', 'dave'];

type Mode = 'ours' | 'baseline';
interface Sample {
  firstPaint: number;
  filter: number;
  rows: number;
  count: string;
  bytes: number;
  filterBytes: number;
  filterRequests: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number): string => `${Math.round(x)} ms`;
const kb = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)} MB` : `${(x / 1e3).toFixed(1)} kB`;

/** Bundle the page into bench/panel/dist (panel.html, panel.js, panel.css). */
async function bundle(): Promise<string> {
  const out = join(here, 'panel', 'dist');
  mkdirSync(out, { recursive: true });
  await build({
    absWorkingDir: repo,
    entryPoints: { panel: join(here, 'panel', 'page.tsx') },
    outdir: out,
    ...pageBundleOptions
  });
  writeFileSync(
    join(out, 'panel.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>panel</title>' +
      '<link rel="stylesheet" href="panel.css"></head>' +
      '<body><div id="host" style="width:420px;height:900px;overflow:auto"></div>' +
      '<script src="panel.js"></script></body></html>\n'
  );
  return out;
}

/** The page's files, and `/svc/*` forwarded to the service with its token: one origin, loopback. */
async function proxy(
  dist: string,
  service: ServiceProcess
): Promise<{ url: string; close: () => void }> {
  const target = new URL(service.url);
  const types: Record<string, string> = {
    html: 'text/html',
    js: 'text/javascript',
    css: 'text/css'
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/svc/')) {
      const headers = {
        ...req.headers,
        host: target.host,
        authorization: `token ${service.secret}`
      };
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: url.slice('/svc'.length),
          headers
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
      return;
    }
    const file = /^\/(panel\.(html|js|css))$/.exec(url.split('?')[0]);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[file[2]] });
    res.end(readFileSync(join(dist, file[1])));
  });
  const port = await freePort();
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/**
 * How many images the service lists for its (admin) user. Retried: while the engine loads
 * thousands of images the service's listing of it may fail or stall a moment.
 */
async function listed(service: ServiceProcess): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { status, body } = await service.api('GET', '/api/images?limit=1');
      if (status === 200) return body.total as number;
      if (attempt >= 20) throw new Error(`GET /api/images: ${status}`);
    } catch (error) {
      if (attempt >= 20) throw error;
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

async function onePage(
  browser: Browser,
  url: string,
  mode: Mode,
  filterText: string,
  expect: string
): Promise<Sample> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }
  });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', error => errors.push(error.message));
    await page.goto(`${url}/panel.html`);
    const cdp = process.env.PROFILE ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const first = (await page.evaluate(
      m => (window as any).bench.start(m),
      mode
    )) as any;
    if (cdp) {
      const { profile } = (await cdp.send('Profiler.stop')) as any;
      summarizeProfile(mode, profile);
    }
    const filtered = (await page.evaluate(
      ([text, want]) => (window as any).bench.filter(text, want),
      [filterText, expect]
    )) as any;
    await page.evaluate(() => (window as any).bench.stop());
    if (errors.length) {
      throw new Error(`page errors: ${errors.join('; ')}`);
    }
    if (process.env.TIMELINE) {
      console.error(
        mode,
        Math.round(first.firstPaint),
        JSON.stringify(first.timeline)
      );
    }
    return {
      firstPaint: first.firstPaint,
      filter: filtered.filter,
      rows: first.rows,
      count: first.count,
      bytes: first.bytes,
      filterBytes: filtered.bytes,
      filterRequests: filtered.requests
    };
  } finally {
    await context.close();
  }
}

/** PROFILE=1: the functions that took most of the first paint (self time), to stderr. */
function summarizeProfile(mode: string, profile: any): void {
  const self = new Map<string, number>();
  const byId = new Map<number, any>(profile.nodes.map((n: any) => [n.id, n]));
  const deltas: number[] = profile.timeDeltas;
  profile.samples.forEach((id: number, i: number) => {
    const node = byId.get(id);
    const f = node.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.error(`${mode} profile (self ms):`);
  for (const [key, t] of top) console.error(`  ${t.toFixed(1)}  ${key}`);
}

requireRealParts();
const dist = await bundle();
const engine = await ScaleEngine.start();
process.env.DOCKER_HOST = engine.host; // the docker CLI here and the service process
const service = await new ServiceProcess({ user: 'scale-admin' }).start();
const loaded: string[] = [];
let browser: Browser | null = null;
let server: { url: string; close: () => void } | null = null;
const results: Array<{
  size: number;
  listed: number;
  load: number;
  ours: Sample[];
  baseline: Sample[];
}> = [];
try {
  const fixtures = makeFixtures(10);
  const started = await service.api('POST', '/api/builds', {
    repo: fixtures.ok,
    name: 'scale'
  });
  const built = await service.waitForBuild(started.body.id);
  if (built.phase !== 'built') throw new Error(`fixture build ${built.phase}`);
  const labels = imageLabels(built.image);
  if (!labels) throw new Error('the fixture image has no labels');
  const before = await listed(service);
  server = await proxy(dist, service);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
  });
  for (const size of SIZES) {
    const add = size - loaded.length;
    if (add > 0) {
      const t = Date.now();
      loaded.push(
        ...loadLabelledImages({
          base: labels,
          baseRepository: built.image.split(':')[0],
          count: add,
          owners: OWNERS,
          prefix: `sc${loaded.length}x`
        })
      );
      console.error(
        `loaded ${add} images in ${((Date.now() - t) / 1000).toFixed(1)} s`
      );
    }
    const deadline = Date.now() + 120_000;
    let total = await listed(service);
    while (total < before + size && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 500));
      total = await listed(service);
    }
    // An image about three quarters down the list (newest first): not on the first page.
    const pick = loaded[Math.floor(size * 0.25)];
    const shortName = pick.split('/').pop()!.split(':')[0];
    const filterText = shortName;
    const expect = `/${shortName}:`;
    const row = {
      size,
      listed: total,
      load: loadavg()[0],
      ours: [] as Sample[],
      baseline: [] as Sample[]
    };
    // Warm-up (unmeasured): the service renders each answer once per generation.
    for (const mode of ['ours', 'baseline'] as Mode[]) {
      await onePage(browser, server.url, mode, filterText, expect);
    }
    for (let r = 0; r < RUNS; r++) {
      const order: Mode[] = r % 2 ? ['baseline', 'ours'] : ['ours', 'baseline'];
      for (const mode of order) {
        row[mode].push(
          await onePage(browser, server.url, mode, filterText, expect)
        );
      }
    }
    results.push(row);
    console.error(
      `${size}: ours ${ms(median(row.ours.map(s => s.firstPaint)))}, baseline ${ms(median(row.baseline.map(s => s.firstPaint)))}`
    );
  }
} catch (error) {
  console.error(`service output (last part):\n${service.output.slice(-3000)}`);
  throw error;
} finally {
  await browser?.close();
  server?.close();
  await service.stop();
  await engine.stop(); // and every image with it
}

const lines: string[] = [];
lines.push(
  `Panel scale (issue 17): ${new Date().toISOString()}, Chromium ${'(Debian, headless)'}, ${RUNS} runs per mode, medians; load average ${loadavg()
    .map(x => x.toFixed(2))
    .join(' ')} at the end`
);
lines.push('');
lines.push(
  '| images (listed) | first paint: ours | baseline | ratio | target (≤ 500 ms at 5,000) | filter: ours | baseline | first answer: ours | baseline | rows painted | section count |'
);
lines.push(
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
);
for (const row of results) {
  const ours = median(row.ours.map(s => s.firstPaint));
  const base = median(row.baseline.map(s => s.firstPaint));
  const target =
    row.size === TARGET_AT
      ? ours <= TARGET_MS
        ? `met (${ms(ours)})`
        : `MISSED (${ms(ours)})`
      : '—';
  lines.push(
    `| ${row.size} (${row.listed}) | ${ms(ours)} | ${ms(base)} | ${(base / ours).toFixed(1)}× faster | ${target} | ${ms(median(row.ours.map(s => s.filter)))} | ${ms(median(row.baseline.map(s => s.filter)))} | ${kb(median(row.ours.map(s => s.bytes)))} | ${kb(median(row.baseline.map(s => s.bytes)))} | ${row.ours[0].rows} / ${row.baseline[0].rows} | ${row.ours[0].count} / ${row.baseline[0].count} |`
  );
}
lines.push('');
lines.push(
  'First paint: panel mounted and model started → first image rows painted (two frames after they are in the DOM). Filter: one input event with an image name → only its rows painted; ours includes the 200 ms debounce and the service round trip, the baseline filters the list it holds. First answer: bytes of image-list bodies for the first paint (ours: one 50-row page; baseline: the whole list). Load average (1 min) at each size: ' +
    results.map(r => `${r.size}: ${r.load.toFixed(2)}`).join(', ') +
    '.'
);
const report = lines.join('\n');
console.log(report);
const atTarget = results.find(r => r.size === TARGET_AT);
if (atTarget) {
  const ours = median(atTarget.ours.map(s => s.firstPaint));
  const base = median(atTarget.baseline.map(s => s.firstPaint));
  reportTarget({
    measure: `an admin's panel with ${TARGET_AT.toLocaleString('en')} images in Chromium: first paint, and the filter box`,
    target: `first paint ≤ ${TARGET_MS} ms`,
    result: `${ms(ours)} (the whole list: ${ms(base)}); filter → rows painted ${ms(median(atTarget.ours.map(s => s.filter)))} (200 ms debounce included)`,
    met: ours <= TARGET_MS
  });
}
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 16);
writeFileSync(
  join(repo, 'bench', 'results', `panel-scale-${stamp}.md`),
  report + '\n'
);
writeFileSync(
  join(repo, 'bench', 'results', `panel-scale-${stamp}.json`),
  JSON.stringify({ sizes: SIZES, runs: RUNS, results }, null, 2)
);
