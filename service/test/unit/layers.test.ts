/**
 * The layers of service/src point one way. Each file belongs to one layer (by its path); a file
 * may import its own layer and any layer below it, never one above. Read from the import
 * statements themselves (type-only imports included: they are dependencies too), so a new
 * upward import fails here before review.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');

/**
 * Top to bottom. `paths`: a directory (ending in `/`) or a file, relative to src/. `not`: layers
 * below that this one must still not use (the manager depends on the image store, never on the
 * adapters that implement it).
 */
const LAYERS: { name: string; paths: string[]; not?: string[] }[] = [
  { name: 'main', paths: ['main.ts'] },
  { name: 'composition', paths: ['app.ts'] },
  { name: 'http', paths: ['http/', 'metrics.ts'] },
  { name: 'auth, builds', paths: ['auth/', 'builds/'], not: ['adapters'] },
  { name: 'backends', paths: ['backends/'] },
  { name: 'adapters', paths: ['docker/', 'registry/'] },
  { name: 'images', paths: ['images/'] },
  { name: 'base', paths: ['api/', 'util/', 'config.ts', 'assets.ts'] }
];

function layerOf(file: string): number {
  const index = LAYERS.findIndex(layer =>
    layer.paths.some(path =>
      path.endsWith('/') ? file.startsWith(path) : file === path
    )
  );
  assert.notEqual(index, -1, `${file} belongs to no layer: add it to LAYERS`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : []
  );
}

/** Every relative module an `import … from`, `export … from` or `import('…')` names. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern =
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier.startsWith('.')) {
      found.push(specifier);
    }
  }
  return found;
}

/** `from` (relative to src/) importing `specifier`, as a path relative to src/ with a .ts name. */
function target(from: string, specifier: string): string {
  return posix
    .normalize(posix.join(posix.dirname(from), specifier))
    .replace(/\.js$/, '.ts');
}

describe('service/src layers', () => {
  const files = sourceFiles(SRC).map(file =>
    relative(SRC, file).split(sep).join('/')
  );

  it('finds the imports the check relies on (multi-line, type-only, re-exports)', () => {
    const sample = [
      "import type { A } from './a.js';",
      'import {\n  B,\n  C\n} from "../b/c.js";',
      "export { D } from './d.js';",
      "const e = await import('./e.js');",
      "import x from 'node:fs';"
    ].join('\n');
    assert.deepEqual(importsOf(sample), [
      './a.js',
      '../b/c.js',
      './d.js',
      './e.js'
    ]);
  });

  it('puts every file in a layer, and every import at its own layer or below', () => {
    assert.ok(files.length > 40, `read ${files.length} files`);
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const specifier of importsOf(
        readFileSync(join(SRC, file), 'utf8')
      )) {
        const imported = target(file, specifier);
        const to = layerOf(imported);
        const banned =
          LAYERS[from].not?.some(name => LAYERS[to].name === name) ?? false;
        if (to < from || banned) {
          upward.push(
            `${file} (${LAYERS[from].name}) imports ${imported} (${LAYERS[to].name})`
          );
        }
      }
    }
    assert.deepEqual(upward, []);
  });

  it('would catch an upward import', () => {
    const from = layerOf('docker/engine.ts');
    assert.ok(
      layerOf(target('docker/engine.ts', '../builds/manager.js')) < from,
      'docker → builds is upward'
    );
    assert.ok(
      layerOf(target('images/labels.ts', '../docker/engine.js')) <
        layerOf('images/labels.ts'),
      'images → docker is upward'
    );
  });
});
