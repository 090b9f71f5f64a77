/**
 * Archives made with tar-stream, for the upload tests: honest ones like the extension's packer
 * sends, and hostile ones (absolute names, `..`, links out, devices, hard links, bombs).
 */
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

export interface Member {
  name: string;
  /** Default `file` (or `directory` when the name ends in `/`). */
  type?: Header['type'];
  mode?: number;
  content?: string | Buffer;
  linkname?: string;
}

/** The raw (uncompressed) tar of `members`, in the order given. */
export async function tarOf(members: Member[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on('data', (chunk: unknown) => {
    chunks.push(chunk as Buffer);
  });
  const ended = new Promise<void>((resolve, reject) => {
    archive.on('end', () => resolve());
    archive.on('error', reject);
  });
  for (const member of members) {
    const type =
      member.type ?? (member.name.endsWith('/') ? 'directory' : 'file');
    const content =
      member.content === undefined
        ? Buffer.alloc(0)
        : Buffer.from(member.content);
    const header = {
      name: member.name,
      type,
      mode: member.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      linkname: member.linkname,
      size: type === 'file' || type === 'contiguous-file' ? content.length : 0
    };
    await new Promise<void>((resolve, reject) => {
      if (type === 'file' || type === 'contiguous-file') {
        archive.entry(header, content, error =>
          error ? reject(error) : resolve()
        );
      } else {
        archive.entry(header, error => (error ? reject(error) : resolve()));
      }
    });
  }
  archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

export async function tarGzOf(members: Member[]): Promise<Buffer> {
  return gzipSync(await tarOf(members));
}

/** A tar with one raw typeflag byte patched in the first header (types tar-stream cannot write). */
export async function tarGzWithTypeflag(
  name: string,
  flag: string
): Promise<Buffer> {
  const raw = await tarOf([{ name, content: '' }]);
  raw[156] = flag.charCodeAt(0);
  // Recompute the header checksum: the sum of the header's bytes with the checksum field as spaces.
  raw.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) {
    sum += raw[i];
  }
  raw.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return gzipSync(raw);
}
