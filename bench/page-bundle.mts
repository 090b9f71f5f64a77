// esbuild's options for a bench page: one browser bundle per entry (script and CSS), minified
// as the labextension is, fonts left out, SVG icons as text as JupyterLab's loaders give them.
// Used by bench/viewer/build.mjs and bench/panel-scale.mts.
import type { BuildOptions } from 'esbuild';

export const pageBundleOptions: BuildOptions = {
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  minify: process.env.BENCH_MINIFY !== '0',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  loader: {
    '.svg': 'text',
    '.woff': 'empty',
    '.woff2': 'empty',
    '.ttf': 'empty'
  },
  define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' }
};
