/**
 * The upload unpacker against folder-design.md §3, row by row: each hostile archive gets its
 * status and code, nothing appears outside the upload's directory, and the directory is gone
 * afterwards. And §4: the digest is the Python reference's (tests/test_folder_pack.py).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ApiError } from '../../src/api/errors.js';
import { UploadArea } from '../../src/backends/upload-dir.js';
import { FolderDigest } from '../../src/builds/folder-digest.js';
import { receiveFolder } from '../../src/builds/folder-upload.js';
import {
  tarGzOf,
  tarGzWithTypeflag,
  tarOf,
  type Member
} from '../helpers/tar-build.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const PYTHON = join(REPO, '.venv', 'bin', 'python');

/** The sample tree whose digest tests/test_folder_pack.py's reference_digest gives below. */
const SAMPLE: Member[] = [
  { name: '.binder/', type: 'directory' },
  { name: '.binder/requirements.txt', content: 'numpy\n' },
  { name: 'README.md', content: '# demo\n' },
  { name: 'data/', type: 'directory' },
  { name: 'data/empty/', type: 'directory' },
  { name: 'data/ünïcode näme.txt', content: 'héllo\n' },
  { name: 'postBuild', content: '#!/bin/sh\necho hi\n', mode: 0o775 },
  { name: 'readme-link', type: 'symlink', linkname: 'README.md' }
];
// `reference_digest(tarfile.open(tarOf(SAMPLE)))`, computed with the repository's venv Python.
const SAMPLE_DIGEST =
  'sha256:b5719e368f8689c695103a6a3554587cd675f3cce50743437cfb00fdd14512c3';

/** Every path under `dir`, recursively, with its kind: a snapshot to compare. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .map(
      entry =>
        `${join(entry.parentPath, entry.name).slice(dir.length)}${entry.isDirectory() ? '/' : ''}`
    )
    .sort();
}

describe('upload unpacking', () => {
  let work: string;
  let area: UploadArea;
  const limits = { maxBytes: 1024 * 1024, maxFiles: 50 };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'r2d-unpack-test-'));
    area = new UploadArea(join(work, 'uploads'));
    await area.prepare();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  async function receive(
    archive: Buffer,
    digest = `sha256:${'0'.repeat(64)}`,
    max = limits
  ) {
    const dir = await area.create();
    try {
      return {
        dir,
        result: await receiveFolder(Readable.from([archive]), dir, digest, max)
      };
    } catch (error) {
      return { dir, error };
    }
  }

  /** The archive is refused with `status`/`code`; nothing is left anywhere under the work dir. */
  async function refused(
    archive: Buffer,
    status: number,
    code: string,
    max = limits
  ): Promise<ApiError> {
    const outside = `${work}/../${randomBytes(4).toString('hex')}`;
    const before = tree(work);
    const { dir, error } = await receive(archive, undefined, max);
    assert.ok(error instanceof ApiError, `refused: ${String(error)}`);
    assert.equal(error.status, status, error.message);
    assert.equal(error.code, code, error.message);
    assert.equal(existsSync(dir.base), false, 'the upload directory is gone');
    assert.deepEqual(
      tree(work),
      before.filter(path => !path.startsWith(dir.base.slice(work.length)))
    );
    assert.deepEqual(
      await area.mine(),
      [],
      'no upload directory of ours is left'
    );
    assert.equal(existsSync(outside), false);
    return error;
  }

  it('unpacks an honest archive with the Python reference digest, modes normalised, owners ignored', async () => {
    const { dir, result, error } = await receive(
      await tarGzOf(SAMPLE),
      SAMPLE_DIGEST
    );
    assert.equal(error, undefined, String(error));
    assert.equal(result!.digest, SAMPLE_DIGEST);
    assert.equal(result!.members, SAMPLE.length);
    assert.equal(
      readFileSync(join(dir.src, 'data/ünïcode näme.txt'), 'utf8'),
      'héllo\n'
    );
    assert.equal(lstatSync(join(dir.src, 'postBuild')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(dir.src, 'README.md')).mode & 0o7777, 0o644);
    assert.equal(lstatSync(join(dir.src, 'data/empty')).mode & 0o7777, 0o755);
    assert.equal(readlinkSync(join(dir.src, 'readme-link')), 'README.md');
    await dir.remove();
    assert.equal(existsSync(dir.base), false);
  });

  it('agrees with the packer of the Jupyter server extension (folder_pack.py) on its own archive', async t => {
    if (!existsSync(PYTHON)) {
      t.skip('no .venv (scripts/setup-venv.sh)');
      return;
    }
    const folder = join(work, 'python-folder');
    const out = join(work, 'python.tar.gz');
    const made = spawnSync(
      PYTHON,
      [
        '-c',
        `import os, sys
from jupyterlab_repo2docker.folder_pack import Limits, pack_folder
root = sys.argv[1]
os.makedirs(os.path.join(root, "sub", "deep"))
open(os.path.join(root, "run.sh"), "w").write("#!/bin/sh\\n")
os.chmod(os.path.join(root, "run.sh"), 0o755)
open(os.path.join(root, "sub", "a.txt"), "w").write("a" * 5000)
os.symlink("../run.sh", os.path.join(root, "sub", "link"))
with open(sys.argv[2], "wb") as out:
    print(pack_folder(root, out, Limits(10**6, 100)).digest)`,
        folder,
        out
      ],
      { cwd: REPO, encoding: 'utf8' }
    );
    assert.equal(made.status, 0, made.stderr);
    const digest = made.stdout.trim();
    const { dir, result, error } = await receive(readFileSync(out), digest);
    assert.equal(error, undefined, String(error));
    assert.equal(result!.digest, digest);
    assert.equal(readlinkSync(join(dir.src, 'sub/link')), '../run.sh');
    await dir.remove();
  });

  it('digests changes of content, exec bit, name, link target and empty directories', () => {
    const digestOf = (members: [string, 'f' | 'd' | 'l', number, string][]) => {
      const digest = new FolderDigest();
      members.forEach(([path, kind, mode, payload]) =>
        digest.add(path, kind, mode, payload)
      );
      return digest.digest();
    };
    const base = digestOf([
      ['a', 'f', 0o644, 'x'],
      ['b', 'l', 0o777, 'a']
    ]);
    assert.equal(
      base,
      digestOf([
        ['b', 'l', 0o777, 'a'],
        ['a', 'f', 0o644, 'x']
      ]),
      'order-free'
    );
    assert.equal(
      base,
      digestOf([
        ['a', 'f', 0o600, 'x'],
        ['b', 'l', 0o777, 'a']
      ]),
      'only the exec bit counts'
    );
    for (const changed of [
      [
        ['a', 'f', 0o644, 'y'],
        ['b', 'l', 0o777, 'a']
      ],
      [
        ['a', 'f', 0o755, 'x'],
        ['b', 'l', 0o777, 'a']
      ],
      [
        ['c', 'f', 0o644, 'x'],
        ['b', 'l', 0o777, 'a']
      ],
      [
        ['a', 'f', 0o644, 'x'],
        ['b', 'l', 0o777, 'c']
      ],
      [
        ['a', 'f', 0o644, 'x'],
        ['b', 'l', 0o777, 'a'],
        ['e', 'd', 0o755, '']
      ]
    ] as [string, 'f' | 'd' | 'l', number, string][][]) {
      assert.notEqual(digestOf(changed), base, JSON.stringify(changed));
    }
  });

  it('refuses a digest other than the content’s: 400 digest_mismatch naming digest', async () => {
    const error = await refused(await tarGzOf(SAMPLE), 400, 'digest_mismatch');
    assert.equal(error.extra.field, 'digest');
  });

  it('refuses compressed bytes past the limit: 413 too_large', async () => {
    const noise = randomBytes(4096); // incompressible
    await refused(
      await tarGzOf([{ name: 'n', content: noise }]),
      413,
      'too_large',
      {
        maxBytes: 2048,
        maxFiles: 10
      }
    );
  });

  it('refuses file content past the limit, from the header before writing: 413 too_large', async () => {
    const zeros = Buffer.alloc(200_000); // compresses to almost nothing
    await refused(
      await tarGzOf([{ name: 'big', content: zeros }]),
      413,
      'too_large',
      {
        maxBytes: 100_000,
        maxFiles: 10
      }
    );
  });

  it('refuses a gzip bomb of padding past maxBytes + 64 KiB per member: 413 too_large', async () => {
    // A valid tar, then megabytes of zero blocks after its end: tiny compressed, huge inflated.
    const tar = Buffer.concat([
      await tarOf([{ name: 'a', content: 'x' }]),
      Buffer.alloc(4 * 1024 * 1024)
    ]);
    await refused(gzipSync(tar), 413, 'too_large', {
      maxBytes: 1000,
      maxFiles: 2
    });
  });

  it('refuses members past maxFiles: 413 too_many_files', async () => {
    const members = Array.from({ length: 6 }, (_, i) => ({
      name: `f${i}`,
      content: 'x'
    }));
    await refused(await tarGzOf(members), 413, 'too_many_files', {
      maxBytes: 1000,
      maxFiles: 5
    });
  });

  for (const [what, name] of [
    ['an absolute name', '/tmp/r2d-escape-abs'],
    ['a ".." component', '../r2d-escape-dotdot'],
    ['a ".." inside', 'a/../../r2d-escape'],
    ['an empty component', 'a//b'],
    ['a "." component', './a'],
    ['a control character', 'a\u0001b'],
    ['a backslash', 'a\\b'],
    ['a name over 4096 bytes', 'x'.repeat(4097)]
  ]) {
    it(`refuses ${what}: 400 bad_member`, async () => {
      await refused(
        await tarGzOf([
          { name: 'a/', type: 'directory' },
          { name, content: 'x' }
        ]),
        400,
        'bad_member'
      );
      assert.equal(existsSync('/tmp/r2d-escape-abs'), false);
    });
  }

  it('refuses a name that is not UTF-8: 400 bad_member', async () => {
    const tar = await tarOf([{ name: 'abc', content: 'x' }]);
    tar[1] = 0xff; // "a\xffc": invalid UTF-8; fix the checksum
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i];
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    await refused(gzipSync(tar), 400, 'bad_member');
  });

  for (const [what, flag] of [
    ['a hard link (1)', '1'],
    ['a character device (3)', '3'],
    ['a block device (4)', '4'],
    ['a fifo (6)', '6'],
    ['a contiguous file (7)', '7'],
    ['a GNU sparse file (S)', 'S'],
    ['a GNU volume header (V)', 'V'],
    ['a GNU multivolume member (M)', 'M']
  ]) {
    it(`refuses ${what}: 400 unsupported_member`, async () => {
      await refused(
        await tarGzWithTypeflag('dev', flag),
        400,
        'unsupported_member'
      );
    });
  }

  it('refuses a hard link made by tar-stream to a file outside: 400 unsupported_member', async () => {
    await refused(
      await tarGzOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]),
      400,
      'unsupported_member'
    );
  });

  for (const [what, linkname] of [
    ['an absolute target', '/etc'],
    ['a target above the tree', '../..'],
    ['a target that climbs out from a subdirectory', 'sub/../../x']
  ]) {
    it(`refuses a symlink with ${what}: 400 link_outside`, async () => {
      await refused(
        await tarGzOf([{ name: 'l', type: 'symlink', linkname }]),
        400,
        'link_outside'
      );
    });
  }

  it('refuses a member through a link, even one pointing inside ("link, then a file through it"): 400 bad_member', async () => {
    await refused(
      await tarGzOf([
        { name: 'd/', type: 'directory' },
        { name: 'l', type: 'symlink', linkname: 'd' },
        { name: 'l/x', content: 'through the link' }
      ]),
      400,
      'bad_member'
    );
  });

  it('refuses a member whose parent is a file, or not in the archive before it: 400 bad_member', async () => {
    await refused(
      await tarGzOf([
        { name: 'f', content: 'x' },
        { name: 'f/x', content: 'y' }
      ]),
      400,
      'bad_member'
    );
    await refused(
      await tarGzOf([{ name: 'nowhere/x', content: 'y' }]),
      400,
      'bad_member'
    );
  });

  it('refuses the same path twice, however written: 400 duplicate_member', async () => {
    await refused(
      await tarGzOf([
        { name: 'a', content: 'x' },
        { name: 'a', content: 'y' }
      ]),
      400,
      'duplicate_member'
    );
    await refused(
      await tarGzOf([
        { name: 'd/', type: 'directory' },
        { name: 'd', type: 'directory' }
      ]),
      400,
      'duplicate_member'
    );
  });

  it('refuses links that escape only through other links (each lexically inside): 400 link_outside', async () => {
    // a/b -> ".." is the root (inside); x -> "a/b/.." reads as "a" but really is the root's parent.
    await refused(
      await tarGzOf([
        { name: 'a/', type: 'directory' },
        { name: 'a/b', type: 'symlink', linkname: '..' },
        { name: 'x', type: 'symlink', linkname: 'a/b/..' }
      ]),
      400,
      'link_outside'
    );
  });

  it('refuses links naming other links many times over (past 40 followed in all) at once: 400 link_outside', async () => {
    // Each level names the one below 300 times: resolving per chain only would cost 300^3 lookups.
    const many = (name: string) => Array(300).fill(name).join('/');
    const started = Date.now();
    await refused(
      await tarGzOf([
        { name: 'l0', type: 'symlink', linkname: '.' },
        { name: 'l1', type: 'symlink', linkname: many('l0') },
        { name: 'l2', type: 'symlink', linkname: many('l1') },
        { name: 'l3', type: 'symlink', linkname: many('l2') }
      ]),
      400,
      'link_outside'
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  for (const [what, archive] of [
    ['not gzip', () => Buffer.from('plain text, not an archive')],
    ['gzip but not tar', () => gzipSync(Buffer.from('x'.repeat(2000)))],
    ['a truncated gzip', async () => (await tarGzOf(SAMPLE)).subarray(0, 100)],
    [
      'a truncated tar',
      async () =>
        gzipSync(
          (await tarOf([{ name: 'a', content: 'x'.repeat(3000) }])).subarray(
            0,
            1024
          )
        )
    ]
  ] as [string, () => Buffer | Promise<Buffer>][]) {
    it(`refuses ${what}: 400 bad_archive`, async () => {
      await refused(await archive(), 400, 'bad_archive');
    });
  }

  it('removes the directory of an upload cut off mid-body (the client went away, or its stream failed)', async () => {
    const archive = await tarGzOf([
      { name: 'big', content: randomBytes(200_000) }
    ]);
    for (const end of ['destroy', 'error'] as const) {
      const body = new Readable({ read() {} });
      body.push(archive.subarray(0, 50_000));
      setTimeout(
        () =>
          end === 'destroy'
            ? body.destroy()
            : body.destroy(new Error('ECONNRESET')),
        50
      );
      const dir = await area.create();
      await assert.rejects(
        receiveFolder(body, dir, `sha256:${'0'.repeat(64)}`, limits),
        (error: unknown) =>
          error instanceof ApiError && error.code === 'bad_archive'
      );
      assert.equal(existsSync(dir.base), false, end);
    }
    assert.deepEqual(await area.mine(), []);
  });

  it('removes what dead service processes left at start, not what live ones hold', async () => {
    const root = join(work, 'leftovers');
    const dead = join(root, '999999999-12345-abc');
    const live = new UploadArea(root);
    const mine = await live.create(); // this process: alive
    writeFileSync(join(mine.src, 'keep'), 'x');
    // A directory named as by a process that is gone.
    spawnSync('mkdir', ['-p', join(dead, 'src')]);
    const again = new UploadArea(root);
    await again.prepare();
    assert.equal(existsSync(dead), false, 'a dead process’s upload is removed');
    assert.equal(
      existsSync(join(mine.src, 'keep')),
      true,
      'a live one’s stays'
    );
    assert.equal(lstatSync(root).mode & 0o777, 0o700);
    await mine.remove();
  });
});
