// Diagnostic: CPU profile of one load in one viewer, self time by function.
// Usage: node --import tsx bench/viewer/profile.mjs [ours|xterm] [lines] [service|sse-multi|sse|direct]
//          [noView,coalesce]
// (build with BENCH_MINIFY=0 for function names; `service`: the service's own bytes, as run.mjs)
import { chromium } from 'playwright-core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startReplayServer } from './replay-server.mts';

const here = dirname(fileURLToPath(import.meta.url));
const kind = process.argv[2] ?? 'ours';
const n = Number(process.argv[3] ?? 200000);
const how = process.argv[4] ?? 'service';
const whatIf = Object.fromEntries(
  (process.argv[5] ?? '')
    .split(',')
    .filter(Boolean)
    .map(k => [k, true])
);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--js-flags=--expose-gc',
    '--enable-precise-memory-info'
  ]
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
// BENCH_DIST: pages built elsewhere (BENCH_OUT of build.mjs).
const dist = process.env.BENCH_DIST ?? join(here, 'dist');
const server = await startReplayServer(dist);
await page.goto(`${server.url}/${kind}.html`);
const cdp = await page.context().newCDPSession(page);
await page.evaluate(([n, how]) => window.bench.prepare(n, how), [n, how]);
await cdp.send('Performance.enable');
const metrics = async () =>
  Object.fromEntries(
    (await cdp.send('Performance.getMetrics')).metrics.map(m => [
      m.name,
      m.value
    ])
  );
const m0 = await metrics();
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const res = await page.evaluate(w => window.bench.run(120000, w), whatIf);
const { profile } = await cdp.send('Profiler.stop');
console.log(JSON.stringify(res));
const m1 = await metrics();
for (const k of [
  'TaskDuration',
  'ScriptDuration',
  'LayoutDuration',
  'RecalcStyleDuration',
  'LayoutCount',
  'RecalcStyleCount',
  'Nodes'
]) {
  const d = m1[k] - m0[k];
  console.log(
    k.padEnd(20),
    k.endsWith('Duration') ? `${(d * 1000).toFixed(0)} ms` : d
  );
}
const byId = new Map(profile.nodes.map(x => [x.id, x]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]);
  const f = node.callFrame;
  const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`sampled ${total.toFixed(0)} ms`);
for (const [k, v] of [...self.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 25)) {
  console.log(v.toFixed(1).padStart(9), 'ms', k);
}
await browser.close();
await server.close();
