// Benchmark 4: the build-log viewer against xterm.js in Debian's Chromium.
// Usage: node bench/viewer/run.mjs [--sizes 500000,1000000,2000000] [--runs 3] [--steps 300]
//          [--cap 60000] [--kinds ours,xterm[,ours-direct]] [--out bench/results]
//        node bench/viewer/run.mjs --report bench/results/viewer-<time>.json   (table again)
// Needs bench/viewer/dist (node --import tsx bench/viewer/build.mjs). Prints a markdown table; writes JSON
// and markdown to --out.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReplayServer } from './replay-server.mts';
import { reportTarget } from '../targets.mts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
// --report FILE: print the table again from a saved JSON (no run).
const REPORT = opt('report', null);
const saved = REPORT ? JSON.parse(readFileSync(REPORT, 'utf8')) : null;
const SIZES =
  saved?.sizes ?? opt('sizes', '500000,1000000,2000000').split(',').map(Number);
const RUNS = saved?.runs ?? Number(opt('runs', '3'));
const STEPS = saved?.steps ?? Number(opt('steps', '300'));
const CAP = saved?.cap ?? Number(opt('cap', '60000'));
const OUT = opt('out', join(repo, 'bench', 'results'));
// BENCH_DIST: pages built elsewhere (BENCH_OUT of build.mjs).
const DIST = process.env.BENCH_DIST ?? join(here, 'dist');
const BUDGET = Number(opt('budget', String(7 * 60_000))); // skip repeats of slow configs past this
// Viewers: ours (SSE path), xterm; ours-direct (appendEvents, no SSE/JSON parsing) on request.
const KINDS = saved
  ? [...new Set(saved.all.map(r => r.kind))]
  : opt('kinds', 'ours,xterm').split(',');
// `ours` is fed what the service sends for a finished build (replay-server.mts: the service's
// LineBatcher, BuildRecord and streamBuildLog on a loopback socket); `ours-page` the same kind of
// SSE made in the page; `ours-line` one line per event, as before batching.
const PAGE = {
  ours: ['ours', 'service'],
  'ours-page': ['ours', 'sse-multi'],
  'ours-line': ['ours', 'sse'],
  'ours-direct': ['ours', 'direct'],
  xterm: ['xterm', 'sse']
};

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--js-flags=--expose-gc',
  '--enable-precise-memory-info'
];

const median = xs => {
  const s = xs.filter(x => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length
    ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
    : NaN;
};
const MB = b => b / 1e6;
const fmtMs = ms =>
  Number.isFinite(ms)
    ? ms >= 10000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms)} ms`
    : 'n/a';
const fmtMB = b => (Number.isFinite(b) ? `${MB(b).toFixed(0)} MB` : 'n/a');
const fmtF = x => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

function rendererRss(pids) {
  let max = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(
        readFileSync(`/proc/${pid}/status`, 'utf8')
      );
      if (m) max = Math.max(max, Number(m[1]) * 1024);
    } catch {
      // gone
    }
  }
  return max;
}

async function rendererPids(browserCdp) {
  try {
    const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
    return processInfo.filter(p => p.type === 'renderer').map(p => p.id);
  } catch {
    return [];
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timeout: ${what} after ${ms} ms`)),
        ms
      );
    })
  ]).finally(() => clearTimeout(timer));
}

async function metrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map(m => [m.name, m.value]));
}
const metricDelta = (a, b) => ({
  layouts: b.LayoutCount - a.LayoutCount,
  layoutMs: (b.LayoutDuration - a.LayoutDuration) * 1000,
  styleMs: (b.RecalcStyleDuration - a.RecalcStyleDuration) * 1000,
  taskMs: (b.TaskDuration - a.TaskDuration) * 1000
});

async function heap(page, cdp) {
  const used = await page.evaluate(() => window.bench.heap());
  const usage = await cdp.send('Runtime.getHeapUsage');
  return {
    used,
    v8: usage.usedSize,
    arrayBuffers: usage.backingStorageSize ?? NaN
  };
}

/** One configuration in a fresh context and page. */
async function runOne(browser, browserCdp, kind, n) {
  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 900 }
  });
  const page = await ctx.newPage();
  const errors = [];
  let crashed = false;
  page.on('pageerror', e => errors.push(e.message));
  page.on('crash', () => (crashed = true));
  const result = { kind, n };
  try {
    await page.goto(`${server.url}/${PAGE[kind][0]}.html`);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    result.idleFrames = await page.evaluate(() => window.bench.idleFrames(20));
    const base = await heap(page, cdp);
    const pids = await rendererPids(browserCdp);
    const rssBase = rendererRss(pids);
    result.prepare = await withTimeout(
      page.evaluate(
        ([n, how]) => window.bench.prepare(n, how),
        [n, PAGE[kind][1]]
      ),
      120_000,
      'prepare'
    );
    const t = Date.now();
    const m0 = await metrics(cdp);
    result.run = await withTimeout(
      page.evaluate(cap => window.bench.run(cap), CAP),
      CAP + 60_000,
      'run'
    );
    result.wallMs = Date.now() - t;
    result.loadMetrics = metricDelta(m0, await metrics(cdp));
    if (result.run.capped) {
      result.status = 'capped';
      return result;
    }
    await page.evaluate(() => window.bench.release());
    const after = await heap(page, cdp);
    result.heap = {
      used: after.used - base.used,
      v8: after.v8 - base.v8,
      arrayBuffers: after.arrayBuffers - base.arrayBuffers,
      baseUsed: base.used
    };
    result.rss = {
      base: rssBase,
      after: rendererRss(await rendererPids(browserCdp))
    };
    const m2 = await metrics(cdp);
    const s = await withTimeout(
      page.evaluate(steps => window.bench.scroll(steps), STEPS),
      120_000,
      'scroll'
    );
    result.scrollMetrics = metricDelta(m2, await metrics(cdp));
    result.scroll = {
      p50: pct(s.deltas, 50),
      p95: pct(s.deltas, 95),
      max: Math.max(...s.deltas),
      over17: s.deltas.filter(d => d > 17.5).length,
      frames: s.deltas.length,
      workP50: pct(s.work, 50),
      workP95: pct(s.work, 95),
      workMax: Math.max(...s.work),
      topFirst: s.topFirst,
      bottomLast: s.bottomLast,
      midFirst: s.midFirst,
      midExpected: s.midExpected,
      visibleRows: s.visibleRows
    };
    result.status = 'ok';
  } catch (e) {
    result.status = crashed ? 'crashed' : 'error';
    result.error = String(e?.message ?? e).split('\n')[0];
  } finally {
    result.pageErrors = errors;
    await withTimeout(ctx.close(), 30_000, 'close').catch(() => undefined);
  }
  return result;
}

const started = Date.now();
const loadBefore = saved?.load?.[0] ?? loadavg()[0];
const browser = saved
  ? null
  : await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
// Serves the pages and the service's log route on loopback (see replay-server.mts).
const server = saved ? null : await startReplayServer(DIST);
const browserCdp = saved ? null : await browser.newBrowserCDPSession();
const version = saved?.chromium ?? browser.version();
const all = saved?.all ?? [];
for (const n of saved ? [] : SIZES) {
  const skip = new Set();
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      if (skip.has(kind)) continue;
      const res = await runOne(browser, browserCdp, kind, n);
      res.run_index = r;
      all.push(res);
      const line =
        res.status === 'ok'
          ? `time ${fmtMs(res.run.ms)} heap ${fmtMB(res.heap.used)} frames p95 ${fmtF(res.scroll.p95)} max ${fmtF(res.scroll.max)} work p95 ${fmtF(res.scroll.workP95)}`
          : `${res.status} ${res.error ?? ''} ${res.run ? fmtMs(res.run.ms) : ''}`;
      console.error(
        `[${((Date.now() - started) / 1000).toFixed(0)} s] ${kind} ${n} run ${r + 1}: ${line}`
      );
      // A configuration that hit the cap, crashed, or would blow the time budget is not repeated.
      if (res.status !== 'ok') skip.add(kind);
      else if (Date.now() - started > BUDGET && res.run.ms > 20_000)
        skip.add(kind);
    }
  }
}
await browser?.close();
await server?.close();
const loadAfter = saved?.load?.[1] ?? loadavg()[0];
const wallS = saved?.wallS ?? (Date.now() - started) / 1000;

// ---- summary -------------------------------------------------------------------------------
const summary = [];
for (const n of SIZES) {
  const row = { n };
  for (const kind of KINDS) {
    const rs = all.filter(r => r.n === n && r.kind === kind);
    const ok = rs.filter(r => r.status === 'ok');
    const bad = rs.find(r => r.status !== 'ok');
    row[kind] = {
      runs: rs.length,
      ok: ok.length,
      status: ok.length ? 'ok' : (bad?.status ?? 'none'),
      badMs: bad?.run?.ms ?? bad?.wallMs,
      error: bad?.error,
      ms: median(ok.map(r => r.run.ms)),
      firstPaintMs: median(ok.map(r => r.run.firstPaintMs)),
      heap: median(ok.map(r => r.heap.used)),
      v8: median(ok.map(r => r.heap.v8)),
      arrayBuffers: median(ok.map(r => r.heap.arrayBuffers)),
      rss: median(ok.map(r => r.rss.after - r.rss.base)),
      p50: median(ok.map(r => r.scroll.p50)),
      p95: median(ok.map(r => r.scroll.p95)),
      max: median(ok.map(r => r.scroll.max)),
      workP95: median(ok.map(r => r.scroll.workP95)),
      workMax: median(ok.map(r => r.scroll.workMax)),
      longTaskMax: median(ok.map(r => r.run.longTasks?.max ?? 0)),
      longTaskTotal: median(ok.map(r => r.run.longTasks?.total ?? 0)),
      loadFrames: median(ok.map(r => r.run.frames)),
      loadLayouts: median(ok.map(r => r.loadMetrics.layouts)),
      loadLayoutMs: median(ok.map(r => r.loadMetrics.layoutMs)),
      scrollLayoutsPerFrame: median(
        ok.map(r => r.scrollMetrics.layouts / r.scroll.frames)
      ),
      scrollLayoutMsPerFrame: median(
        ok.map(r => r.scrollMetrics.layoutMs / r.scroll.frames)
      ),
      times: rs.map(r => (r.status === 'ok' ? Math.round(r.run.ms) : r.status))
    };
  }
  summary.push(row);
}

const NONE = { status: 'not run', runs: 0, ok: 0, times: [] };
const cell = (s, f) =>
  s.status === 'ok'
    ? f(s)
    : `${s.status}${s.badMs ? ` (${fmtMs(s.badMs)})` : ''}`;
const ratio = (o, x, key) => {
  if (o.status !== 'ok') return 'n/a';
  if (x.status !== 'ok')
    return x.status === 'capped'
      ? `> ${(CAP / o[key]).toFixed(1)}×`
      : `${x.status}`;
  return `${(x[key] / o[key]).toFixed(1)}×`;
};
const lines = [];
lines.push(
  `Benchmark 4: log viewer vs xterm.js ${readFileSync(join(repo, 'node_modules/@xterm/xterm/package.json'), 'utf8').match(/"version": "([^"]+)"/)[1]} ` +
    `(Chromium ${version}, headless, --disable-gpu; 1200×800 host; ${STEPS} scroll steps; median of ${RUNS} runs; cap ${CAP / 1000} s)`
);
lines.push('');
lines.push(
  '| lines | ours time | xterm time | ratio (xterm/ours) | ours heap | xterm heap | ratio (xterm/ours) | ours frame p95/max | xterm frame p95/max |'
);
lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of summary) {
  const o = row.ours ?? NONE;
  const x = row.xterm ?? NONE;
  lines.push(
    `| ${row.n.toLocaleString('en-US')} | ${cell(o, s => fmtMs(s.ms))} | ${cell(x, s => fmtMs(s.ms))} | ${ratio(o, x, 'ms')} | ` +
      `${cell(o, s => fmtMB(s.heap))} | ${cell(x, s => fmtMB(s.heap))} | ${x.status === 'ok' && o.status === 'ok' ? `${(x.heap / o.heap).toFixed(1)}×` : 'n/a'} | ` +
      `${cell(o, s => `${fmtF(s.p95)} / ${fmtF(s.max)} ms`)} | ${cell(x, s => `${fmtF(s.p95)} / ${fmtF(s.max)} ms`)} |`
  );
}
lines.push('');
lines.push(
  'Details (medians): first lines painted; while loading: frames, layouts (count and total ms, CDP Performance.getMetrics), longest task; ' +
    'per scroll frame: main-thread time from frame start to after its paint (p95/max) and layouts; heap split into V8 heap and ArrayBuffer backing stores; renderer RSS growth.'
);
lines.push('');
lines.push(
  '| lines | viewer | runs ok | each run (ms) | first paint | load frames | load layouts (ms) | longest task | scroll work p95/max | scroll layouts/frame (ms) | V8 heap | ArrayBuffers | renderer RSS Δ |'
);
lines.push(
  '| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
);
for (const row of summary) {
  for (const kind of KINDS) {
    const s = row[kind];
    lines.push(
      `| ${row.n.toLocaleString('en-US')} | ${kind} | ${s.ok}/${s.runs} | ${s.times.join(', ')} | ${fmtMs(s.firstPaintMs)} | ` +
        `${fmtF(s.loadFrames)} | ${fmtF(s.loadLayouts)} (${fmtMs(s.loadLayoutMs)}) | ${fmtMs(s.longTaskMax)} | ` +
        `${fmtF(s.workP95)} / ${fmtF(s.workMax)} ms | ${fmtF(s.scrollLayoutsPerFrame)} (${fmtF(s.scrollLayoutMsPerFrame)} ms) | ` +
        `${fmtMB(s.v8)} | ${fmtMB(s.arrayBuffers)} | ${fmtMB(s.rss)} |`
    );
  }
}
lines.push('');
const m = summary.find(r => r.n === 1_000_000);
/** The same checks as rows of bench/RESULTS.md's targets table (bench/targets.mts). */
const targetRows = [];
if (m) {
  const o = m.ours ?? NONE;
  const x = m.xterm ?? NONE;
  const check = (ok, text) => {
    lines.push(`- [${ok ? 'x' : ' '}] ${text}`);
    const [target, result] = text.split(/: (.*)/s);
    targetRows.push({
      measure: 'the 1,000,000-line log in Chromium',
      target,
      result,
      met: Boolean(ok)
    });
  };
  lines.push('Targets at 1,000,000 lines:');
  check(o.ms <= 1000, `time to last line painted ≤ 1 s: ${fmtMs(o.ms)}`);
  check(
    o.max <= 16.7 * 1.05,
    `frames ≤ 16 ms (no frame longer than one 16.7 ms vsync interval, the shortest rAF delta here): ` +
      `rAF p95 ${fmtF(o.p95)} ms, max ${fmtF(o.max)} ms; main-thread time per frame p95 ${fmtF(o.workP95)} ms, max ${fmtF(o.workMax)} ms`
  );
  check(o.heap < 300e6, `JS heap < 300 MB: ${fmtMB(o.heap)}`);
  const tr =
    x.status === 'ok' ? x.ms / o.ms : x.status === 'capped' ? CAP / o.ms : NaN;
  const hr = x.status === 'ok' ? x.heap / o.heap : NaN;
  check(
    tr >= 3,
    `≥ 3× faster than xterm.js: ${x.status === 'ok' ? `${tr.toFixed(1)}×` : `xterm ${x.status}${x.status === 'capped' ? `, > ${tr.toFixed(1)}×` : ''}`}`
  );
  check(
    hr >= 3,
    `≥ 3× less heap than xterm.js: ${x.status === 'ok' ? `${hr.toFixed(1)}×` : `xterm ${x.status}`}`
  );
}
lines.push('');
lines.push(
  `Machine: ${saved?.cpus ?? cpus().length} CPUs; 1-min load average ${loadBefore.toFixed(1)} at start, ${loadAfter.toFixed(1)} at end ` +
    `(other work on the machine shows up in times and frame times). Wall time ${wallS.toFixed(0)} s.`
);
const table = lines.join('\n');
console.log(table);
targetRows.forEach(reportTarget);

mkdirSync(OUT, { recursive: true });
let commit = 'unknown';
let dirty = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo })
    .toString()
    .trim();
  dirty = execFileSync(
    'git',
    ['status', '--short', '--', 'src/logs', 'style/logs.css'],
    { cwd: repo }
  )
    .toString()
    .trim();
} catch {
  // not a git checkout
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
if (saved) {
  commit = saved.commit;
  dirty = saved.dirty;
} else
  writeFileSync(
    join(OUT, `viewer-${stamp}.json`),
    JSON.stringify(
      {
        chromium: version,
        cpus: cpus().length,
        load: [loadBefore, loadAfter],
        wallS,
        commit,
        dirty,
        sizes: SIZES,
        runs: RUNS,
        steps: STEPS,
        cap: CAP,
        summary,
        all
      },
      null,
      1
    )
  );
writeFileSync(
  join(OUT, 'viewer.md'),
  `${table}\n\nCommit ${commit}${dirty ? ` with local changes in:\n${dirty}` : ''}. ${saved ? `Table made from ${REPORT}.` : `Command: bash bench/viewer.sh${args.length ? ' ' + args.join(' ') : ''}`}\n`
);
console.error(
  `total ${((Date.now() - started) / 1000).toFixed(0)} s; results in ${OUT}`
);
