/**
 * Folder uploads (issue 18) against the real service, engine and repo2docker: an archive made by
 * the Jupyter server extension's own packer (jupyterlab_repo2docker/folder_pack.py) builds an
 * image labelled with the folder's path and digest; the same content again is already built;
 * hostile archives (made with tar-stream) get their 400/413 and leave nothing on disk; a
 * cancelled upload build leaves no directory and no image.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  imageLabels,
  imagesOfBuild,
  removeImage
} from '../helpers/docker-cli.js';
import { packWithExtension, type Packed } from '../helpers/folder-pack.js';
import { requireRealParts } from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { tarGzOf, tarGzWithTypeflag, tarOf } from '../helpers/tar-build.js';

const LABEL = 'org.jupyter.repo2docker-service.';
const MAX_BYTES = 8 * 1024 * 1024;
const MAX_FILES = 200;

/** A folder repo2docker builds offline (FROM scratch + busybox, as scripts/make-fixtures.sh). */
function makeFolder(parent: string, name: string, run: string): string {
  const dir = join(parent, name);
  mkdirSync(join(dir, 'data', 'empty'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'nonce'), randomBytes(16).toString('hex')); // no BuildKit cache hit
  writeFileSync(join(dir, 'data', 'notes.txt'), 'kept in the image\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    `FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\nCOPY data /data\nRUN ["/bin/busybox", "sh", "-c", "${run}"]\n`
  );
  return dir;
}

function packed(dir: string): Packed {
  return packWithExtension(dir, MAX_BYTES, MAX_FILES);
}

describe('folder uploads on the real engine', () => {
  let service: ServiceProcess;
  let work: string;
  let uploads: string;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    work = mkdtempSync(join(tmpdir(), 'r2d-upload-it-'));
    const temp = join(work, 'tmp');
    mkdirSync(temp);
    // The service's work directory follows TMPDIR: this one is the test's to look into.
    uploads = join(temp, `repo2docker-service-${process.getuid!()}`, 'uploads');
    service = await new ServiceProcess({
      user: 'Folder.User',
      config: {
        builds: {
          allowLocalRepos: true,
          uploadMaxBytes: MAX_BYTES,
          uploadMaxFiles: MAX_FILES
        }
      },
      env: { TMPDIR: temp }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    rmSync(work, { recursive: true, force: true });
  });

  function upload(
    archive: Buffer,
    query: Record<string, string>,
    headers: Record<string, string> = {}
  ): Promise<{ status: number; body: any }> {
    return fetch(
      `${service.url}/api/builds/upload?${new URLSearchParams(query)}`,
      {
        method: 'POST',
        headers: service.headers({
          'content-type': 'application/gzip',
          ...headers
        }),
        body: archive
      }
    ).then(async response => ({
      status: response.status,
      body: await response.json()
    }));
  }

  /** The service's upload directories on disk now (none once every upload has ended). */
  function leftovers(): string[] {
    return existsSync(uploads) ? readdirSync(uploads) : [];
  }

  async function noLeftovers(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (leftovers().length > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    assert.deepEqual(leftovers(), [], 'no upload directory is left');
  }

  it('announces its upload limits in /api/info', async () => {
    const info = await service.api('GET', '/api/info');
    assert.equal(info.body.limits.uploadMaxBytes, MAX_BYTES);
    assert.equal(info.body.limits.uploadMaxFiles, MAX_FILES);
  });

  it('builds an uploaded folder into an image labelled with its path and digest; the same content again is already built', async () => {
    const folder = makeFolder(work, 'demo', 'echo hello from the folder');
    const { archive, digest } = packed(folder);
    const started = await upload(archive, {
      digest,
      path: 'projects/demo',
      displayName: 'Demo folder'
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.repo, '');
    assert.equal(started.body.commit, '');
    assert.deepEqual(started.body.folder, { path: 'projects/demo', digest });
    assert.equal(
      started.body.image,
      `r2d--46older-2e-55ser/demo:${digest.slice(7)}`
    );
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    made.push(build.image);

    const labels = imageLabels(build.image);
    assert.ok(labels, 'the image is in the engine');
    assert.equal(labels[`${LABEL}source`], 'folder');
    assert.equal(labels[`${LABEL}folder-path`], 'projects/demo');
    assert.equal(labels[`${LABEL}folder-digest`], digest);
    assert.equal(labels[`${LABEL}owner`], 'Folder.User');
    assert.equal(labels[`${LABEL}repo`], '');
    // The folder's files are in the image.
    const notes = execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--network=none',
        '--entrypoint',
        '/bin/busybox',
        build.image,
        'cat',
        '/data/notes.txt'
      ],
      { encoding: 'utf8' }
    );
    assert.equal(notes, 'kept in the image\n');
    await noLeftovers();

    const images = await service.api('GET', '/api/images');
    const listed = images.body.images.find(
      (image: any) => image.name === build.image
    );
    assert.deepEqual(listed?.folder, { path: 'projects/demo', digest });

    const again = await upload(packed(folder).archive, {
      digest,
      path: 'projects/demo'
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyBuilt, true);
    assert.equal(again.body.image, build.image);
    await noLeftovers();
  });

  it('refuses by the query and the headers before reading: 400 naming the parameter, 411, 413, 415', async () => {
    const body = await tarGzOf([{ name: 'a', content: 'x' }]);
    const digest = `sha256:${'a'.repeat(64)}`;
    const cases: [
      Record<string, string>,
      Record<string, string>,
      number,
      string,
      string?
    ][] = [
      [{ path: '' }, {}, 400, 'invalid_field', 'digest'],
      [{ digest: 'sha256:XYZ', path: '' }, {}, 400, 'invalid_field', 'digest'],
      [{ digest }, {}, 400, 'invalid_field', 'path'],
      [{ digest, path: '../etc' }, {}, 400, 'invalid_field', 'path'],
      [{ digest, path: '/abs' }, {}, 400, 'invalid_field', 'path'],
      [{ digest, path: 'a"b' }, {}, 400, 'invalid_field', 'path'],
      [
        { digest, path: '', name: 'Bad Name' },
        {},
        400,
        'invalid_field',
        'name'
      ],
      [{ digest, path: '', force: 'yes' }, {}, 400, 'invalid_field', 'force'],
      [{ digest, path: '', repo: 'x' }, {}, 400, 'invalid_field', 'repo'],
      [
        { digest, path: '' },
        { 'content-type': 'application/json' },
        415,
        'unsupported_media_type'
      ],
      [
        { digest, path: '' },
        { 'content-length': String(MAX_BYTES + 1) },
        413,
        'too_large'
      ]
    ];
    for (const [query, headers, status, code, field] of cases) {
      const answer =
        headers['content-length'] !== undefined
          ? await rawPost(service, query, body, headers)
          : await upload(body, query, headers);
      assert.equal(
        answer.status,
        status,
        `${JSON.stringify(query)} ${JSON.stringify(answer.body)}`
      );
      assert.equal(answer.body.error.code, code);
      if (field) {
        assert.equal(answer.body.error.field, field);
      }
    }
    // Chunked (no Content-Length): 411.
    const chunked = await fetch(
      `${service.url}/api/builds/upload?${new URLSearchParams({ digest, path: '' })}`,
      {
        method: 'POST',
        headers: service.headers({ 'content-type': 'application/gzip' }),
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(body);
            controller.close();
          }
        }),
        duplex: 'half'
      } as RequestInit
    );
    assert.equal(chunked.status, 411);
    assert.equal(
      ((await chunked.json()) as { error: { code: string } }).error.code,
      'length_required'
    );
    // Without a token: 401 before anything.
    const anonymous = await fetch(
      `${service.url}/api/builds/upload?${new URLSearchParams({ digest, path: '' })}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/gzip' },
        body
      }
    );
    assert.equal(anonymous.status, 401);
    await noLeftovers();
  });

  it('refuses hostile archives with their 400/413 and leaves nothing behind', async () => {
    const escape = join(work, `escaped-${randomBytes(4).toString('hex')}`);
    const tmpEscape = `/tmp/r2d-upload-escape-${randomBytes(4).toString('hex')}`;
    const zeros = gzipSync(
      Buffer.concat([
        await tarOf([{ name: 'a', content: 'x' }]),
        Buffer.alloc(MAX_BYTES + 64 * 1024 * (MAX_FILES + 2))
      ])
    );
    const honest = packed(makeFolder(work, 'honest', 'true'));
    const cases: [string, Buffer, number, string][] = [
      [
        'an absolute path',
        await tarGzOf([{ name: tmpEscape, content: 'x' }]),
        400,
        'bad_member'
      ],
      [
        'a ".." path',
        await tarGzOf([
          { name: `../../../../${escape.slice(1)}`, content: 'x' }
        ]),
        400,
        'bad_member'
      ],
      [
        'a symlink out',
        await tarGzOf([
          { name: 'out', type: 'symlink', linkname: '../../../..' }
        ]),
        400,
        'link_outside'
      ],
      [
        'an absolute symlink',
        await tarGzOf([{ name: 'out', type: 'symlink', linkname: work }]),
        400,
        'link_outside'
      ],
      [
        'a link, then a file through it',
        await tarGzOf([
          { name: 'd/', type: 'directory' },
          { name: 'l', type: 'symlink', linkname: 'd' },
          { name: 'l/x', content: 'through' }
        ]),
        400,
        'bad_member'
      ],
      [
        'links escaping through links',
        await tarGzOf([
          { name: 'a/', type: 'directory' },
          { name: 'a/b', type: 'symlink', linkname: '..' },
          { name: 'x', type: 'symlink', linkname: 'a/b/..' }
        ]),
        400,
        'link_outside'
      ],
      [
        'a character device',
        await tarGzWithTypeflag('dev', '3'),
        400,
        'unsupported_member'
      ],
      [
        'a fifo',
        await tarGzWithTypeflag('fifo', '6'),
        400,
        'unsupported_member'
      ],
      [
        'a hard link',
        await tarGzOf([{ name: 'h', type: 'link', linkname: '/etc/passwd' }]),
        400,
        'unsupported_member'
      ],
      [
        'a duplicate',
        await tarGzOf([
          { name: 'a', content: 'x' },
          { name: 'a', content: 'y' }
        ]),
        400,
        'duplicate_member'
      ],
      ['a gzip bomb past the limit', zeros, 413, 'too_large'],
      [
        'file content past the limit',
        await tarGzOf([{ name: 'big', content: Buffer.alloc(MAX_BYTES + 1) }]),
        413,
        'too_large'
      ],
      [
        'too many files',
        await tarGzOf(
          Array.from({ length: MAX_FILES + 1 }, (_, i) => ({
            name: `f${i}`,
            content: ''
          }))
        ),
        413,
        'too_many_files'
      ],
      ['not an archive', Buffer.from('hello'), 400, 'bad_archive'],
      [
        'a truncated archive',
        honest.archive.subarray(0, honest.archive.length / 2),
        400,
        'bad_archive'
      ]
    ];
    for (const [what, archive, status, code] of cases) {
      const answer = await upload(archive, {
        digest: honest.digest,
        path: 'x'
      });
      assert.equal(
        answer.status,
        status,
        `${what}: ${JSON.stringify(answer.body)}`
      );
      assert.equal(answer.body.error.code, code, what);
      assert.deepEqual(
        leftovers(),
        [],
        `${what}: the upload's directory is gone`
      );
    }
    // The right content under another digest.
    const mismatch = await upload(honest.archive, {
      digest: `sha256:${'0'.repeat(64)}`,
      path: 'x'
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.code, 'digest_mismatch');
    assert.equal(mismatch.body.error.field, 'digest');
    assert.deepEqual(leftovers(), []);
    assert.equal(existsSync(escape), false, 'nothing was written outside');
    assert.equal(
      existsSync(tmpEscape),
      false,
      'nothing was written at the absolute path'
    );
    const builds = await service.api('GET', '/api/builds');
    assert.ok(
      !builds.body.builds.some((build: any) => build.folder?.path === 'x'),
      'no refused upload became a build'
    );
  });

  it('keeps the folder labels its own: a folder cannot change them, a repository cannot claim them', async () => {
    // A folder's Dockerfile setting our label: the service's --label comes last and wins.
    const folder = makeFolder(work, 'relabel', 'true');
    const forged = `LABEL ${LABEL}folder-path="someone/else" ${LABEL}source="folder"\n`;
    writeFileSync(
      join(folder, 'Dockerfile'),
      readFileSync(join(folder, 'Dockerfile'), 'utf8') + forged
    );
    const { archive, digest } = packed(folder);
    const started = await upload(archive, { digest, path: 'relabel' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const built = await service.waitForBuild(started.body.id);
    assert.equal(built.phase, 'built', JSON.stringify(built));
    made.push(built.image);
    assert.equal(imageLabels(built.image)?.[`${LABEL}folder-path`], 'relabel');

    // A repository claiming to be a folder build (someone's digest): the forge check removes it.
    const repo = makeFolder(work, 'claims-folder', 'true');
    writeFileSync(
      join(repo, 'Dockerfile'),
      readFileSync(join(repo, 'Dockerfile'), 'utf8') +
        `LABEL ${LABEL}source="folder" ${LABEL}folder-digest="${digest}"\n`
    );
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, ...args], { stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git(
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@localhost',
      'commit',
      '-qm',
      'x'
    );
    const claim = await service.api('POST', '/api/builds', {
      repo: `file://${repo}`
    });
    assert.equal(claim.status, 202, JSON.stringify(claim.body));
    const failed = await service.waitForBuild(claim.body.id);
    assert.equal(failed.phase, 'failed');
    assert.match(failed.error, /labels do not match/);
    assert.equal(imageLabels(failed.image), null);
    assert.deepEqual(imagesOfBuild(failed.id), []);
    await noLeftovers();
  });

  it('a client that goes away mid-upload leaves no directory behind', async () => {
    const { archive, digest } = packed(makeFolder(work, 'cut', 'true'));
    const { connect } = await import('node:net');
    const url = new URL(service.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise(resolve => socket.once('connect', resolve));
    const query = new URLSearchParams({ digest, path: 'cut' });
    socket.write(
      `POST /api/builds/upload?${query} HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Authorization: token ${service.secret}\r\nContent-Type: application/gzip\r\n` +
        `Content-Length: ${archive.length}\r\n\r\n`
    );
    socket.write(archive.subarray(0, Math.floor(archive.length / 2)));
    await new Promise(resolve => setTimeout(resolve, 300));
    assert.equal(leftovers().length, 1, 'the upload is being received');
    socket.destroy();
    await noLeftovers();
  });

  it('a starting service removes upload directories dead service processes left', async () => {
    // Named as a process that is gone (pid 999999999) names its uploads.
    const dead = join(uploads, '999999999-1-leftover');
    mkdirSync(join(dead, 'src'), { recursive: true });
    writeFileSync(join(dead, 'src', 'file'), 'left by a crash');
    const second = await new ServiceProcess({
      user: 'Folder.User',
      env: { TMPDIR: join(work, 'tmp') }
    }).start();
    try {
      const deadline = Date.now() + 10_000;
      while (existsSync(dead) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
      assert.equal(existsSync(dead), false);
    } finally {
      await second.stop();
    }
  });

  it('a cancelled upload build leaves no directory and no image', async () => {
    const folder = makeFolder(
      work,
      'slow',
      'echo sleeping; /bin/busybox sleep 60; echo woke'
    );
    const { archive, digest } = packed(folder);
    const started = await upload(archive, { digest, path: 'slow' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(
      leftovers().length,
      1,
      'the build has its directory while it runs'
    );
    // Wait until repo2docker is building, then cancel.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { body } = await service.api(
        'GET',
        `/api/builds/${started.body.id}`
      );
      if (body.phase === 'building' || Date.now() > deadline) {
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    const cancelled = await service.api(
      'DELETE',
      `/api/builds/${started.body.id}`
    );
    assert.equal(cancelled.status, 200);
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'cancelled');
    await noLeftovers();
    assert.deepEqual(
      imagesOfBuild(build.id),
      [],
      'no image of the cancelled build'
    );
    assert.equal(imageLabels(build.image), null);
  });
});

/** A POST with headers fetch would not let through (a Content-Length other than the body's). */
async function rawPost(
  service: ServiceProcess,
  query: Record<string, string>,
  body: Buffer,
  headers: Record<string, string>
): Promise<{ status: number; body: any }> {
  const { request } = await import('node:http');
  const url = new URL(
    `${service.url}/api/builds/upload?${new URLSearchParams(query)}`
  );
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: service.headers({
          'content-type': 'application/gzip',
          ...headers
        })
      },
      response => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', chunk => (text += chunk));
        response.on('end', () => {
          req.destroy(); // the rest of the claimed body never comes
          resolve({ status: response.statusCode!, body: JSON.parse(text) });
        });
      }
    );
    req.on('error', reject);
    // Claims more than it sends: the answer must come from the header alone.
    req.write(body);
  });
}
