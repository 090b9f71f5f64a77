/**
 * Unpacking an uploaded folder (folder-design.md §3): the archive is a user's, untrusted. It
 * streams gunzip → tar parser → disk (never whole in memory) into an empty directory, and every
 * member is judged before anything of it is written: its name, its type, where a link points,
 * whether its parents are real directories of this archive, the byte and member budgets. The
 * digest (§4) is computed from what was written, each file hashed as it streams. Any refusal is
 * an ApiError (400/413 with the table's code); the caller removes the directory then.
 *
 * Writing never follows a link: parents are directories this archive made (never a link: a link
 * is never a parent, checked from the archive's own record, before touching the disk), files are
 * opened O_CREAT|O_EXCL|O_NOFOLLOW, directories made with mkdir (which fails on anything there).
 * Owners are ignored; modes are normalised (files 0644/0755 by the owner-exec bit, directories
 * 0755). After the last member, every link's real path is checked once more: links that are
 * components of other links can escape even when each is lexically inside.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readlink, symlink } from 'node:fs/promises';
import { posix, relative, sep, join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { ApiError } from '../api/errors.js';
import { FolderDigest, type MemberKind } from './folder-digest.js';

export interface UnpackLimits {
  /** Bytes of file content, and of the compressed body. */
  maxBytes: number;
  /** Archive members of every kind. */
  maxFiles: number;
}

export interface Unpacked {
  digest: string;
  /** Members written (files, directories, links). */
  members: number;
  /** Bytes of file content written. */
  bytes: number;
}

/** Headers, padding and PAX records may cost this much per member before the bomb rule bites. */
const PER_MEMBER_OVERHEAD = 64 * 1024;
const MAX_NAME_BYTES = 4096;
// C0, DEL, C1, and the replacement character a non-UTF-8 name decodes to.
const BAD_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\\\ufffd]/;
const MAX_LINK_HOPS = 40;

const badMember = (name: string, why: string): ApiError =>
  new ApiError(400, 'bad_member', `archive member ${shown(name)}: ${why}`);

/** A member's name for a message: JSON-quoted (control characters escaped) and cut short. */
function shown(name: string): string {
  const text = JSON.stringify(
    name.length > 200 ? `${name.slice(0, 200)}…` : name
  );
  return text;
}

/** Counts bytes through; past `max` it fails with `error()`. */
function byteLimit(max: number, error: () => ApiError): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) {
        done(error());
      } else {
        done(null, chunk);
      }
    }
  });
}

/** The member's path as the digest and the tree know it: checked, without a directory's one trailing `/`. */
export function memberPath(name: string, isDirectory: boolean): string {
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) {
    throw badMember(name, `the name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (BAD_CHARACTERS.test(name)) {
    throw badMember(
      name,
      'the name is not UTF-8 or holds a control character or a backslash'
    );
  }
  if (name.startsWith('/')) {
    throw badMember(name, 'the name is an absolute path');
  }
  const path = isDirectory && name.endsWith('/') ? name.slice(0, -1) : name;
  const parts = path.split('/');
  if (parts.includes('..')) {
    throw badMember(name, 'the name has a ".." component');
  }
  if (parts.some(part => part === '' || part === '.')) {
    throw badMember(name, 'the name has an empty or "." component');
  }
  return path;
}

/** Is `path` inside (or equal to) `root`? Both absolute. */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return (
    rel === '' ||
    (rel !== '..' && !rel.startsWith(`..${sep}`) && !rel.startsWith(sep))
  );
}

/**
 * Where `link` (absolute, inside `root`) really leads, following every link on the way as the
 * kernel would, components that do not exist taken as they are. `null` past MAX_LINK_HOPS links
 * followed in all (the kernel's ELOOP rule; a budget per chain only would let links that name
 * other links many times over cost exponential time).
 */
async function resolveLink(
  link: string,
  budget = { hops: MAX_LINK_HOPS }
): Promise<string | null> {
  if (--budget.hops < 0) {
    return null;
  }
  const target = await readlink(link);
  let current = target.startsWith('/') ? '/' : posix.dirname(link);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    let isLink = false;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch {
      isLink = false; // missing: nothing on it to follow
    }
    if (isLink) {
      const resolved = await resolveLink(next, budget);
      if (resolved === null) {
        return null;
      }
      current = resolved;
    } else {
      current = next;
    }
  }
  return current;
}

/**
 * Unpack the gzip'd tar `body` into `root` (an existing empty directory) under `limits`.
 * Resolves with the digest of what was written; rejects with an ApiError on any refusal.
 */
export async function unpackUpload(
  body: Readable,
  root: string,
  limits: UnpackLimits
): Promise<Unpacked> {
  const tooLarge = (what: string): ApiError =>
    new ApiError(
      413,
      'too_large',
      `the upload is larger than ${limits.maxBytes} bytes (${what})`
    );
  const extract = tarExtract();
  // The body is piped in, not put in the pipeline: a failing pipeline destroys its streams, and
  // destroying a request destroys its socket, so no answer could be sent. On a refusal the rest
  // of the body is read and dropped (Node holds it to its Content-Length, which is within the
  // limit), so the client, still writing, gets the answer.
  const source = new PassThrough();
  body.pipe(source);
  // pipe() passes on neither errors nor a client gone mid-body: without these the parser would
  // wait for the rest for ever, and the directory would never be removed.
  body.once('error', error => source.destroy(error));
  body.once('close', () => {
    if (!body.readableEnded) {
      source.destroy(new Error('the upload was cut off before its end'));
    }
  });
  // The body's own bytes, then what they decompress to (headers and padding count there).
  const feeding = pipeline(
    source,
    byteLimit(limits.maxBytes, () => tooLarge('compressed')),
    createGunzip(),
    byteLimit(
      limits.maxBytes + PER_MEMBER_OVERHEAD * (limits.maxFiles + 1),
      () => tooLarge('the archive decompresses past the limit')
    ),
    extract
  );
  const fed = feeding.then(
    () => null,
    (error: unknown) => error
  );

  const kinds = new Map<string, MemberKind>();
  const links: string[] = [];
  const digest = new FolderDigest();
  let bytes = 0;
  try {
    for await (const entry of extract) {
      await member(entry.header, entry);
    }
    const error = await fed;
    if (error) {
      throw error;
    }
  } catch (error) {
    body.unpipe(source);
    body.resume();
    extract.destroy();
    source.destroy();
    const fedError = await fed;
    // Our own refusal wins over what it made the parsers say (premature close, ...).
    throw asApiError(
      [error, fedError].find(candidate => candidate instanceof ApiError) ??
        error
    );
  }
  for (const link of links) {
    const resolved = await resolveLink(join(root, link));
    if (resolved === null || !inside(root, resolved)) {
      throw new ApiError(
        400,
        'link_outside',
        resolved === null
          ? `the symbolic link ${shown(link)} follows more than ${MAX_LINK_HOPS} links`
          : `the symbolic link ${shown(link)} leads outside the folder (through other links)`
      );
    }
  }
  return { digest: digest.digest(), members: kinds.size, bytes };

  async function member(
    header: Header,
    content: AsyncIterable<unknown>
  ): Promise<void> {
    // tar-stream types `type` as one of the kinds it names; it is `null` for any other flag.
    const type = header.type as string | null;
    const kind: MemberKind | null =
      type === 'file'
        ? 'f'
        : type === 'directory'
          ? 'd'
          : type === 'symlink'
            ? 'l'
            : null;
    if (kinds.size + 1 > limits.maxFiles) {
      throw new ApiError(
        413,
        'too_many_files',
        `the upload has more than ${limits.maxFiles} files, directories and links`
      );
    }
    if (kind === null) {
      throw new ApiError(
        400,
        'unsupported_member',
        `archive member ${shown(header.name)} is a ${type ?? 'member of an unknown type'}; only files, directories and symbolic links are taken`
      );
    }
    const path = memberPath(header.name, kind === 'd');
    if (kinds.has(path)) {
      throw new ApiError(
        400,
        'duplicate_member',
        `archive member ${shown(path)} appears twice`
      );
    }
    // Every ancestor must be a directory this archive made before (never a link, never a file).
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      const was = kinds.get(ancestor);
      if (was !== 'd') {
        throw badMember(
          path,
          was === 'l'
            ? `its parent ${shown(ancestor)} is a symbolic link`
            : was === 'f'
              ? `its parent ${shown(ancestor)} is a file`
              : `its parent directory ${shown(ancestor)} is not in the archive before it`
        );
      }
    }
    const target = join(root, ...parts);
    const mode = header.mode ?? 0o644;
    kinds.set(path, kind);
    if (kind === 'd') {
      await mkdir(target); // fails on anything already there
      await chmod(target, 0o755);
      digest.add(path, 'd', 0o755, '');
      await drain(content);
      return;
    }
    if (kind === 'l') {
      const linkname = header.linkname ?? '';
      if (linkname === '' || BAD_CHARACTERS.test(linkname)) {
        throw badMember(
          path,
          'the link target is empty, not UTF-8, or holds a control character or a backslash'
        );
      }
      if (
        linkname.startsWith('/') ||
        !inside('/r', posix.join('/r', posix.dirname(path), linkname))
      ) {
        throw new ApiError(
          400,
          'link_outside',
          `the symbolic link ${shown(path)} points outside the folder (${shown(linkname)})`
        );
      }
      await symlink(linkname, target);
      links.push(path);
      digest.add(path, 'l', 0o777, linkname);
      await drain(content);
      return;
    }
    const size = header.size ?? 0;
    if (bytes + size > limits.maxBytes) {
      throw tooLarge(`file content, at ${shown(path)}`);
    }
    const fileMode = mode & 0o100 ? 0o755 : 0o644;
    const handle = await open(
      target,
      constants.O_CREAT |
        constants.O_EXCL |
        constants.O_WRONLY |
        constants.O_NOFOLLOW,
      0o600
    );
    const hash = createHash('sha256');
    let written = 0;
    try {
      for await (const data of content) {
        const chunk = data as Buffer;
        written += chunk.length;
        // The header's size is what tar-stream reads by; count the bytes anyway.
        if (written > size || bytes + written > limits.maxBytes) {
          throw tooLarge(`file content, at ${shown(path)}`);
        }
        hash.update(chunk);
        await handle.write(chunk);
      }
      await handle.chmod(fileMode); // exactly, whatever the umask
    } finally {
      await handle.close();
    }
    bytes += written;
    digest.add(path, 'f', fileMode, hash.digest('hex'));
  }
}

async function drain(content: AsyncIterable<unknown>): Promise<void> {
  // A directory or link has no content; PAX may still say otherwise: read it and drop it.
  for await (const chunk of content) {
    void chunk;
  }
}

/** Our refusals as they are; anything the parsers or gunzip threw means a bad archive. */
function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EEXIST') {
    return new ApiError(
      400,
      'duplicate_member',
      'an archive member appears twice'
    );
  }
  if (
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    code === 'EACCES' ||
    code === 'EIO'
  ) {
    throw error; // ours, not the user's: a 500
  }
  const message = (error as Error | null)?.message ?? String(error);
  return new ApiError(
    400,
    'bad_archive',
    `the upload is not a complete gzip-compressed tar archive (${message.slice(0, 200)})`
  );
}
