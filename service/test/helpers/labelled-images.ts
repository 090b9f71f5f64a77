/**
 * Many images the service lists, made cheaply: one `docker load` of an archive whose images all
 * share one tiny layer and differ only in their labels (owner, name, commit, build id, time),
 * copied from an image the service built. The engine store lists an image only under the
 * repository and tag its labels imply (`r2d-{owner}/{name}:{commit}`), so tags of one image
 * would not do. For the scale tests and benchmarks; `removeLabelledImages` takes them away.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL } from '../../src/images/labels.js';
import { namespaceFor, renderRepository } from '../../src/images/naming.js';

export interface LabelledImagesOptions {
  /** The labels of an image the service built (`docker image inspect`'s Config.Labels). */
  base: Record<string, string>;
  /** Its repository, to check the template below against (`r2d-{owner}/{name}`). */
  baseRepository: string;
  count: number;
  /** Owners, taken in turn (an admin sees them all). */
  owners: string[];
  /** Image names are `<prefix><i>`. */
  prefix: string;
  template?: string;
}

const sha256 = (data: string | Buffer): string =>
  createHash('sha256').update(data).digest('hex');

function dockerArch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** Load `count` labelled images into the engine; answers their references, newest first. */
export function loadLabelledImages(options: LabelledImagesOptions): string[] {
  const template = options.template ?? 'r2d-{owner}/{name}';
  const base = options.base;
  const expected = renderRepository(
    template,
    namespaceFor(base[LABEL.owner], base[LABEL.shared] === 'true'),
    base[LABEL.name]
  );
  if (expected !== options.baseRepository) {
    throw new Error(
      `the service's template is not ${template}: ${options.baseRepository}`
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'r2d-labelled-'));
  try {
    mkdirSync(join(dir, 'content'));
    writeFileSync(join(dir, 'content', 'README'), 'labelled image\n');
    mkdirSync(join(dir, 'archive', 'layer'), { recursive: true });
    const layerPath = join(dir, 'archive', 'layer', 'layer.tar');
    execFileSync('tar', ['-cf', layerPath, '-C', join(dir, 'content'), '.']);
    const diffId = `sha256:${sha256(readFileSync(layerPath))}`;
    const nonce = randomBytes(4).toString('hex');
    const start = Date.now();
    const manifest: unknown[] = [];
    const references: string[] = [];
    for (let i = 0; i < options.count; i++) {
      const owner = options.owners[i % options.owners.length];
      const name = `${options.prefix}${i}`;
      const commit = createHash('sha1').update(`${nonce}-${i}`).digest('hex');
      const labels = {
        ...base,
        [LABEL.owner]: owner,
        [LABEL.shared]: 'false',
        [LABEL.name]: name,
        [LABEL.displayName]: `Scale ${i}`,
        [LABEL.commit]: commit,
        [LABEL.repo]: `https://example.org/${owner}/${name}`,
        [LABEL.buildId]: `scale${nonce}${i}`,
        [LABEL.builtAt]: new Date(start - i * 1000).toISOString()
      };
      const config = JSON.stringify({
        architecture: dockerArch(),
        os: 'linux',
        created: labels[LABEL.builtAt],
        config: { Labels: labels },
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created: labels[LABEL.builtAt] }]
      });
      const file = `${sha256(config)}.json`;
      writeFileSync(join(dir, 'archive', file), config);
      const reference = `${renderRepository(template, namespaceFor(owner, false), name)}:${commit}`;
      references.push(reference);
      manifest.push({
        Config: file,
        RepoTags: [reference],
        Layers: ['layer/layer.tar']
      });
    }
    writeFileSync(
      join(dir, 'archive', 'manifest.json'),
      JSON.stringify(manifest)
    );
    const archive = join(dir, 'images.tar');
    execFileSync('tar', ['-cf', archive, '-C', join(dir, 'archive'), '.']);
    execFileSync('docker', ['load', '-q', '-i', archive], {
      stdio: 'ignore',
      timeout: 15 * 60_000
    });
    return references;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Remove images made by `loadLabelledImages`. */
export function removeLabelledImages(references: readonly string[]): void {
  for (let i = 0; i < references.length; i += 200) {
    try {
      execFileSync('docker', ['rmi', '-f', ...references.slice(i, i + 200)], {
        stdio: 'ignore'
      });
    } catch {
      // already gone
    }
  }
}
