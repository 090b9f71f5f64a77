// Diagnostic for our viewer: per-frame cost of scrolling with CSS variations injected into the
// bench page (nothing in src/ or style/ is changed), and how often `_render` runs per frame while
// loading, and load-time what-ifs (updates coalesced to one per frame; model only).
// Usage: node bench/viewer/diagnose.mjs [lines] [load|css]
import { chromium } from 'playwright-core';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.argv[2] ?? 200000);
const VARIANTS = {
  'as shipped': '',
  'line numbers not sticky':
    '.jp-Repo2DockerLog-lineNumber { position: static !important; }',
  'row layer fixed width':
    '.jp-Repo2DockerLog-rows { width: 3000px !important; min-width: 0 !important; }',
  'one font only':
    '.jp-Repo2DockerLog-viewport { font-family: "DejaVu Sans Mono" !important; }',
  'contain: strict on rows':
    '.jp-Repo2DockerLog-line { contain: strict; width: 3000px; }'
};
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
const WHATIFS = [
  ['sse', {}, 'SSE path, as shipped'],
  ['sse', { coalesce: true }, 'SSE path, updates coalesced to 1/frame'],
  ['sse', { noView: true }, 'SSE path, model only (no view)'],
  ['direct', {}, 'appendEvents, as shipped'],
  ['direct', { coalesce: true }, 'appendEvents, updates coalesced to 1/frame'],
  ['direct', { noView: true }, 'appendEvents, model only (no view)'],
  ['sse-multi', {}, 'SSE, 100 lines per event, as shipped'],
  ['sse-multi', { coalesce: true }, 'SSE, 100 lines per event, coalesced'],
  ['sse-multi', { noView: true }, 'SSE, 100 lines per event, model only']
];
const only = process.argv[3];
if (only !== 'css') {
  console.log(
    `Load of ${n.toLocaleString('en-US')} lines (time to last line painted; 'model only': to the last line stored):`
  );
  for (const [how, whatIf, label] of WHATIFS) {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 }
    });
    await page.goto(pathToFileURL(join(here, 'dist', 'ours.html')).href);
    await page.evaluate(([n, how]) => window.bench.prepare(n, how), [n, how]);
    const runP = page.evaluate(
      ([cap, w]) => window.bench.run(cap, w),
      [120000, whatIf]
    );
    let renders = '';
    if (!whatIf.noView) {
      await page.waitForFunction(() => window.bench.view() !== null, null, {
        polling: 1
      });
      await page.evaluate(() => {
        window.__renders = 0;
        const proto = Object.getPrototypeOf(window.bench.view());
        const orig = proto._render;
        proto._render = function () {
          window.__renders++;
          orig.call(this);
        };
      });
    }
    const r = await runP;
    if (!whatIf.noView) {
      renders = `, ${await page.evaluate(() => window.__renders)} renders`;
    }
    console.log(
      `  ${label.padEnd(44)} ${Math.round(r.ms)} ms, ${r.frames} frames${renders}, longest task ${Math.round(r.longTasks?.max ?? 0)} ms`
    );
    await page.close();
  }
}
if (only === 'load') {
  await browser.close();
  process.exit(0);
}
console.log('Scrolling 300 steps with CSS variations injected:');
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[
    Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)
  ];
for (const [name, css] of Object.entries(VARIANTS)) {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 }
  });
  await page.goto(pathToFileURL(join(here, 'dist', 'ours.html')).href);
  if (css) await page.addStyleTag({ content: css });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () =>
    Object.fromEntries(
      (await cdp.send('Performance.getMetrics')).metrics.map(m => [
        m.name,
        m.value
      ])
    );
  await page.evaluate(n => window.bench.prepare(n, 'direct'), n);
  const runP = page.evaluate(() => window.bench.run(120000));
  await page.waitForFunction(() => window.bench.view() !== null, null, {
    polling: 1
  });
  await page.evaluate(() => {
    window.__renders = [];
    const proto = Object.getPrototypeOf(window.bench.view());
    const orig = proto._render;
    proto._render = function () {
      const t = performance.now();
      orig.call(this);
      window.__renders.push([t, performance.now() - t]);
    };
  });
  const run = await runP;
  const loadRenders = await page.evaluate(() => window.__renders.splice(0));
  const m0 = await metrics();
  const s = await page.evaluate(() => window.bench.scroll(300));
  const m1 = await metrics();
  const scrollRenders = await page.evaluate(() => window.__renders.splice(0));
  const frames = s.deltas.length;
  console.log(
    `  ${name.padEnd(26)} load ${Math.round(run.ms)} ms, ${run.frames} frames, ${loadRenders.length} renders ` +
      `(${(loadRenders.length / run.frames).toFixed(1)}/frame, ${Math.round(loadRenders.reduce((a, r) => a + r[1], 0))} ms) | ` +
      `scroll: frame p95 ${pct(s.deltas, 95).toFixed(1)} max ${Math.max(...s.deltas).toFixed(1)}, work p50 ${pct(s.work, 50).toFixed(1)} p95 ${pct(s.work, 95).toFixed(1)}, ` +
      `render p50 ${pct(
        scrollRenders.map(r => r[1]),
        50
      ).toFixed(
        2
      )} ms, ${(scrollRenders.length / frames).toFixed(2)} renders/frame, ` +
      `layout ${(((m1.LayoutDuration - m0.LayoutDuration) * 1000) / frames).toFixed(2)} ms/frame, style ${(((m1.RecalcStyleDuration - m0.RecalcStyleDuration) * 1000) / frames).toFixed(2)} ms/frame`
  );
  await page.close();
}
await browser.close();
