/**
 * The content digest of an uploaded folder (folder-design.md §4), the same bytes the Jupyter
 * server's packer hashes (`reference_digest` in tests/test_folder_pack.py): one record per
 * member, sorted by path as UTF-8 bytes, hashed together. Modification times, owners and the
 * compression are not part of it, so one folder gives one digest across runs and machines.
 */
import { createHash } from 'node:crypto';

export type MemberKind = 'f' | 'd' | 'l';

/** `^sha256:<64 hex>$`, what the `digest` parameter must look like. */
export const FOLDER_DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The mode text a member contributes: files keep only their owner-exec bit. */
export function digestMode(kind: MemberKind, mode: number): string {
  if (kind === 'd') {
    return '755';
  }
  if (kind === 'l') {
    return '777';
  }
  return mode & 0o100 ? '755' : '644';
}

export class FolderDigest {
  private readonly records: { path: Buffer; record: Buffer }[] = [];

  /**
   * One member. `payload`: a file's lowercase hex sha256, a link's target, `""` for a directory.
   * `path` without a trailing slash.
   */
  add(path: string, kind: MemberKind, mode: number, payload: string): void {
    const name = Buffer.from(path, 'utf8');
    this.records.push({
      path: name,
      record: Buffer.concat([
        name,
        Buffer.from(`\0${kind}\0${digestMode(kind, mode)}\0`, 'utf8'),
        Buffer.from(payload, 'utf8'),
        Buffer.from('\n')
      ])
    });
  }

  get count(): number {
    return this.records.length;
  }

  /** `sha256:<hex>` over every record in path order (paths are unique: the unpacker refuses twins). */
  digest(): string {
    const hash = createHash('sha256');
    for (const { record } of [...this.records].sort((a, b) =>
      Buffer.compare(a.path, b.path)
    )) {
      hash.update(record);
    }
    return `sha256:${hash.digest('hex')}`;
  }
}
