/**
 * Where uploaded folders are unpacked and built from: a work directory only the service user
 * can enter (0700, owned by it, not a link), one fresh `mkdtemp` directory per upload inside it
 * with the folder in its `src/`. Each upload's directory is named after the process that made it
 * (pid and start time, as docker/instance.ts tells processes apart): several services may share
 * one machine and one work directory, and a starting service removes only what dead ones left.
 */
import { lstat, mkdir, mkdtemp, readdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime } from '../docker/instance.js';
import { removeDir } from './git-env.js';

/** One upload's directory; `remove()` when its build has ended (whatever its end) or on refusal. */
export interface UploadDir {
  /** The upload's own directory (`src/`'s parent: nothing of the user's is in it but `src/`). */
  base: string;
  /** The folder's root: what repo2docker builds from. */
  src: string;
  remove(): Promise<void>;
}

/** `<tmpdir>/repo2docker-service-<uid>/uploads` unless told otherwise. */
export function defaultUploadRoot(): string {
  const uid = process.getuid?.() ?? 'user';
  return join(tmpdir(), `repo2docker-service-${uid}`, 'uploads');
}

const NAME = /^(\d+)-(\d+|unknown)-/;

export class UploadArea {
  private ready: Promise<void> | null = null;
  private readonly prefix: string;

  constructor(readonly root: string = defaultUploadRoot()) {
    this.prefix = `${process.pid}-${processStartTime(process.pid) ?? 'unknown'}-`;
  }

  /**
   * Make (or check) the work directory, and remove what dead service processes left in it.
   * Idempotent; `create()` waits for it.
   */
  prepare(): Promise<void> {
    this.ready ??= this.setUp();
    return this.ready;
  }

  async create(): Promise<UploadDir> {
    await this.prepare();
    const base = await mkdtemp(join(this.root, this.prefix)); // 0700
    const src = join(base, 'src');
    await mkdir(src, { mode: 0o755 });
    return { base, src, remove: () => removeDir(base) };
  }

  /** Upload directories of this process still on disk (tests, metrics). */
  async mine(): Promise<string[]> {
    await this.prepare();
    return (await readdir(this.root)).filter(name =>
      name.startsWith(this.prefix)
    );
  }

  private async setUp(): Promise<void> {
    for (const dir of [join(this.root, '..'), this.root]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const info = await lstat(dir);
      // Someone else's directory (made before us in a shared /tmp) or a link to one: never ours.
      if (
        !info.isDirectory() ||
        info.isSymbolicLink() ||
        (process.getuid && info.uid !== process.getuid())
      ) {
        throw new Error(
          `the upload work directory ${dir} is not a directory owned by this user`
        );
      }
      await chmod(dir, 0o700);
    }
    for (const name of await readdir(this.root)) {
      const match = NAME.exec(name);
      const alive =
        match !== null &&
        match[2] !== 'unknown' &&
        processStartTime(Number(match[1])) === match[2];
      if (!alive) {
        await removeDir(join(this.root, name));
      }
    }
  }
}
