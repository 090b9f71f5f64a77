// Bundle the service into one CommonJS file for the Python wheel (jupyterlab_repo2docker/service/),
// so `pip install` needs no npm. ssh2's optional native helpers stay external: it falls back to
// pure JS without them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../../jupyterlab_repo2docker/service');
const { version } = JSON.parse(
  readFileSync(resolve(here, '../package.json'), 'utf8')
);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [resolve(here, '../src/main.ts')],
  outfile: resolve(out, 'repo2docker-service.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  minify: false,
  sourcemap: false,
  external: ['cpu-features', '*.node'],
  define: {
    __SERVICE_VERSION__: JSON.stringify(version),
    'import.meta.url': 'import_meta_url'
  },
  banner: {
    js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;"
  },
  logLevel: 'warning'
});
copyFileSync(resolve(here, '../openapi.yaml'), resolve(out, 'openapi.yaml'));
console.log(`bundled service ${version} into ${out}`);
