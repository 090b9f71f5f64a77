// Bundles the two bench pages into bench/viewer/dist/ (ours.html, xterm.html).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageBundleOptions } from '../page-bundle.mts';

const here = dirname(fileURLToPath(import.meta.url));
// BENCH_OUT: another output directory (e.g. to compare two trees with compare.mjs).
const out = process.env.BENCH_OUT ?? join(here, 'dist');
mkdirSync(out, { recursive: true });

await build({
  absWorkingDir: join(here, '..', '..'),
  entryPoints: { ours: join(here, 'ours.ts'), xterm: join(here, 'xterm.ts') },
  outdir: out,
  ...pageBundleOptions
});

for (const name of ['ours', 'xterm']) {
  writeFileSync(
    join(out, `${name}.html`),
    `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>` +
      `<link rel="stylesheet" href="${name}.css"></head>` +
      `<body><div id="host"></div><script src="${name}.js"></script></body></html>\n`
  );
}
console.log(`built ${out}`);
