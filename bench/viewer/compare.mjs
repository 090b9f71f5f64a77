// Diagnostic: two builds of the bench page (e.g. this tree and a baseline tree), alternating
// runs of one size in one Chromium, with main-thread time as well as wall time (on a busy
// machine the wall time swings; the main-thread time is steadier).
// Usage: node bench/viewer/compare.mjs [--lines 1000000] [--runs 5] [--how sse-multi]
//          name=path/to/dist [name=path/to/dist ...]
import { chromium } from 'playwright-core';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const lines = Number(opt('lines', '1000000'));
const runs = Number(opt('runs', '5'));
const how = opt('how', 'sse-multi');
const builds = args
  .filter(a => a.includes('=') && !a.startsWith('--'))
  .map(a => {
    const [name, dir] = a.split('=');
    return { name, dir: resolve(dir) };
  });
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
const browserCdp = await browser.newBrowserCDPSession();
/** CPU seconds used so far by the renderer processes and by all of Chromium's processes. */
async function cpu() {
  const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
  const sum = ps => ps.reduce((a, p) => a + p.cpuTime, 0);
  return {
    renderer: sum(processInfo.filter(p => p.type === 'renderer')),
    all: sum(processInfo)
  };
}
const results = Object.fromEntries(builds.map(b => [b.name, []]));
const median = xs => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `load average at start ${loadavg()
    .map(x => x.toFixed(1))
    .join(' ')}`
);
for (let r = 0; r < runs; r++) {
  const order = r % 2 === 0 ? builds : [...builds].reverse();
  for (const b of order) {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 }
    });
    await page.goto(pathToFileURL(join(b.dir, 'ours.html')).href);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.evaluate(
      ([n, how]) => window.bench.prepare(n, how),
      [lines, how]
    );
    const metrics = async () =>
      Object.fromEntries(
        (await cdp.send('Performance.getMetrics')).metrics.map(m => [
          m.name,
          m.value
        ])
      );
    const m0 = await metrics();
    const c0 = await cpu();
    const res = await page.evaluate(() => window.bench.run(120000));
    const c1 = await cpu();
    const m1 = await metrics();
    const d = k => (m1[k] - m0[k]) * 1000;
    const row = {
      ms: res.ms,
      // Other pages are closed: the renderer's CPU time is this page's.
      cpu: (c1.renderer - c0.renderer) * 1000,
      cpuAll: (c1.all - c0.all) * 1000,
      task: d('TaskDuration'),
      script: d('ScriptDuration'),
      layout: d('LayoutDuration'),
      style: d('RecalcStyleDuration'),
      frames: res.frames,
      heap: await page.evaluate(() => window.bench.heap())
    };
    results[b.name].push(row);
    console.log(
      `run ${r + 1} ${b.name.padEnd(8)} ${Math.round(row.ms)} ms wall, renderer CPU ${Math.round(row.cpu)} ms (Chromium ${Math.round(row.cpuAll)} ms), main thread ${Math.round(row.task)} ms ` +
        `(script ${Math.round(row.script)}, layout ${Math.round(row.layout)}, style ${Math.round(row.style)}), ` +
        `${row.frames} frames, heap ${(row.heap / 1e6).toFixed(0)} MB, load ${loadavg()[0].toFixed(1)}`
    );
    await page.close();
  }
}
await browser.close();
for (const b of builds) {
  const rs = results[b.name];
  console.log(
    `median ${b.name.padEnd(8)} wall ${Math.round(median(rs.map(r => r.ms)))} ms, renderer CPU ${Math.round(median(rs.map(r => r.cpu)))} ms, main thread ${Math.round(median(rs.map(r => r.task)))} ms, ` +
      `layout ${Math.round(median(rs.map(r => r.layout)))} ms, frames ${median(rs.map(r => r.frames))}`
  );
}
