/**
 * Folders packed the way the Jupyter server extension packs them: by its own packer
 * (jupyterlab_repo2docker/folder_pack.py, from the venv), so the service's tests and benchmarks
 * take exactly the archives and digests the extension sends.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, VENV } from './paths.js';

export interface Packed {
  archive: Buffer;
  /** The digest the packer computed (folder-design.md §4). */
  digest: string;
}

/** Pack `dir` under the given limits into `${dir}.tar.gz`; throws with the packer's stderr. */
export function packWithExtension(
  dir: string,
  maxBytes: number,
  maxFiles: number
): Packed {
  const out = `${dir}.tar.gz`;
  const made = spawnSync(
    join(VENV, 'bin', 'python'),
    [
      '-c',
      `import sys
from jupyterlab_repo2docker.folder_pack import Limits, pack_folder
with open(sys.argv[2], "wb") as out:
    print(pack_folder(sys.argv[1], out, Limits(int(sys.argv[3]), int(sys.argv[4]))).digest)`,
      dir,
      out,
      String(maxBytes),
      String(maxFiles)
    ],
    { cwd: ROOT, encoding: 'utf8' }
  );
  if (made.status !== 0) {
    throw new Error(`the extension's packer failed: ${made.stderr}`);
  }
  return { archive: readFileSync(out), digest: made.stdout.trim() };
}
