/**
 * Hostile repositories and URLs against the real service, the real git, repo2docker and the real
 * engine: a symlinked subdir, forged labels, scp-like URLs, forbidden submodule transports, the
 * service user's own git config, and repositories on private addresses (a git daemon on 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  imageLabels,
  imagesOfBuild,
  removeImage
} from '../helpers/docker-cli.js';
import { freePort } from '../helpers/net.js';
import { commitTree, git } from '../helpers/git-repo.js';
import { requireRealParts } from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { DockerEngine } from '../../src/docker/engine.js';

const LABEL = 'org.jupyter.repo2docker-service.';
const nonce = randomBytes(4).toString('hex');
let root = '';

/** A committed repository under `root`; a fresh nonce in every Dockerfile defeats BuildKit's cache. */
const makeRepo = (
  name: string,
  files: Record<string, string>,
  links: Record<string, string> = {}
) => commitTree(join(root, 'repos', name), files, links);

const dockerfile = (extra = ''): string =>
  `FROM scratch\nCOPY README.md /README.md\n${extra}`;

function docker(...args: string[]): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim();
}

/** Every image (any tag) the engine holds in `repository`. */
function imagesIn(repository: string): string[] {
  const out = docker('images', '--quiet', repository);
  return out === '' ? [] : out.split('\n');
}

/** A git wrapper that records each run (argv, and the environment it got) and then runs git. */
function gitRecorder(name: string): {
  command: string;
  log: string;
  runs: () => { argv: string[]; env: Record<string, string> }[];
} {
  const log = join(root, `${name}.log`);
  const command = join(root, `${name}.sh`);
  writeFileSync(
    command,
    `#!/bin/sh\n{ printf 'ARGV'; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; env | sed 's/^/ENV /'; } >> '${log}'\nexec git "$@"\n`
  );
  chmodSync(command, 0o755);
  const runs = (): { argv: string[]; env: Record<string, string> }[] => {
    if (!existsSync(log)) {
      return [];
    }
    const out: { argv: string[]; env: Record<string, string> }[] = [];
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (line.startsWith('ARGV')) {
        out.push({ argv: line.slice(5).split('\x1f'), env: {} });
      } else if (line.startsWith('ENV ') && out.length > 0) {
        const text = line.slice(4);
        out[out.length - 1].env[text.slice(0, text.indexOf('='))] = text.slice(
          text.indexOf('=') + 1
        );
      }
    }
    return out;
  };
  return { command, log, runs };
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing listens on 127.0.0.1:${port}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

describe('hostile repositories and URLs', () => {
  let service: ServiceProcess;
  let recorder: ReturnType<typeof gitRecorder>;
  let serviceHome = '';
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    root = mkdtempSync(join(tmpdir(), 'r2d-hostile-'));
    recorder = gitRecorder('git-recorder');
    serviceHome = join(root, 'service-home');
    mkdirSync(serviceHome);
    service = await new ServiceProcess({
      user: 'alice',
      config: { git: { command: recorder.command } },
      // The service user's own environment, which must not reach git: HOME (with a .gitconfig
      // written by a later test) and git variables.
      env: {
        HOME: serviceHome,
        GIT_SSH_COMMAND: `touch ${join(root, 'pwned-ssh')}`,
        GIT_CONFIG_PARAMETERS: "'url.file:///etc/.insteadof'='https://x'"
      }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a committed symlink to a host directory, built as subdir, fails naming subdir; the secret is in no image', async () => {
    const host = join(root, 'host-dir');
    mkdirSync(host);
    const secret = `host-secret-${randomBytes(8).toString('hex')}`;
    writeFileSync(join(host, 'secret.txt'), `${secret}\n`);
    writeFileSync(join(host, 'README.md'), 'host\n');
    writeFileSync(
      join(host, 'Dockerfile'),
      'FROM scratch\nCOPY secret.txt /secret.txt\n'
    );
    const repo = makeRepo(
      `linked-${nonce}`,
      { 'README.md': 'linked\n' },
      { env: host }
    );
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url,
      subdir: 'env'
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'failed', JSON.stringify(build));
    assert.match(
      build.error,
      /subdir "env" is not a real directory of the repository: env is a symbolic link/
    );
    assert.deepEqual(
      imagesOfBuild(build.id),
      [],
      'no image carries the build id'
    );
    assert.deepEqual(
      imagesIn(`r2d-alice/linked-${nonce}`),
      [],
      'no image in the repository at all'
    );
    const withSecret = docker(
      'images',
      '--quiet',
      '--filter',
      `label=${LABEL}repo=${repo.url}`
    );
    assert.equal(withSecret, '');
  });

  it('a symlinked Dockerfile pointing out of the repository fails naming the path', async () => {
    const hostFile = join(root, 'host-Dockerfile');
    writeFileSync(hostFile, 'FROM scratch\n');
    const repo = makeRepo(
      `linked-file-${nonce}`,
      { 'README.md': 'x\n' },
      { Dockerfile: hostFile }
    );
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'failed');
    assert.match(
      build.error,
      /the repository's Dockerfile is a symbolic link to a path outside the repository/
    );
    assert.deepEqual(imagesOfBuild(build.id), []);
  });

  it('a label-smuggling subdir or displayName is 400 naming the field, and builds nothing', async () => {
    const smuggle = `x" ${LABEL}owner="bob" ${LABEL}shared="true`;
    const repo = makeRepo(`smuggle-${nonce}`, {
      'README.md': 'x\n',
      Dockerfile: dockerfile()
    });
    for (const [field, body] of [
      ['subdir', { repo: repo.url, subdir: smuggle }],
      ['displayName', { repo: repo.url, displayName: smuggle }],
      ['displayName', { repo: repo.url, displayName: 'a\nLABEL evil=1' }],
      ['subdir', { repo: repo.url, subdir: 'a$HOME' }]
    ] as const) {
      const response = await service.api('POST', '/api/builds', body);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error.field, field);
    }
    const { body } = await service.api('GET', '/api/builds');
    assert.ok(
      !body.builds.some((build: { repo: string }) => build.repo === repo.url)
    );
  });

  it('an image whose labels in our namespace are not the ones the service set is removed and the build fails', async () => {
    const repo = makeRepo(`forging-${nonce}`, {
      'README.md': 'x\n',
      Dockerfile: dockerfile(`LABEL ${LABEL}forged-by="${nonce}"\n`)
    });
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url
    });
    assert.equal(started.status, 202);
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'failed', JSON.stringify(build));
    assert.match(
      build.error,
      /the image's labels do not match what the service set .*forge its provenance/
    );
    assert.deepEqual(imagesOfBuild(build.id), [], 'the image is removed');
    assert.equal(imageLabels(build.image), null);
  });

  it("the engine store lists an image as X's only when its repository is in X's namespace", async () => {
    const commit = 'c'.repeat(40);
    const context = join(root, 'label-context');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'README.md'), nonce);
    writeFileSync(
      join(context, 'Dockerfile'),
      'FROM scratch\nCOPY README.md /README.md\n'
    );
    const build = (
      reference: string,
      owner: string,
      name: string,
      buildId: string
    ): void => {
      const labels = {
        owner,
        shared: 'false',
        repo: `https://example.org/${name}`,
        ref: 'HEAD',
        commit,
        subdir: '',
        name,
        'display-name': name,
        'build-id': buildId,
        'built-at': new Date().toISOString()
      };
      docker(
        'build',
        '--quiet',
        ...Object.entries(labels).flatMap(([key, value]) => [
          '--label',
          `${LABEL}${key}=${value}`
        ]),
        '-t',
        reference,
        context
      );
      made.push(reference);
    };
    const genuine = `r2d-alice/genuine-${nonce}:${commit}`;
    const claimsBob = `r2d-alice/claims-bob-${nonce}:${commit}`;
    const claimsAlice = `r2d-bob/claims-alice-${nonce}:${commit}`;
    build(genuine, 'alice', `genuine-${nonce}`, `g${nonce}`);
    build(claimsBob, 'bob', `claims-bob-${nonce}`, `b${nonce}`);
    build(claimsAlice, 'alice', `claims-alice-${nonce}`, `a${nonce}`);
    // A temporary build tag of the genuine image: never listed.
    const temporary = `r2d-alice/genuine-${nonce}:build-g${nonce}`;
    docker('tag', genuine, temporary);
    made.push(temporary);

    const deadline = Date.now() + 10_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      const { status, body } = await service.api('GET', '/api/images');
      assert.equal(status, 200);
      names = body.images.map((image: { name: string }) => image.name);
      if (names.includes(genuine)) {
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 300));
    }
    assert.ok(
      names.includes(genuine),
      'the genuine image is listed (the list works)'
    );
    assert.ok(
      !names.includes(claimsBob),
      "an image in alice's namespace claiming bob is not listed"
    );
    assert.ok(
      !names.includes(claimsAlice),
      "an image in bob's namespace claiming alice is not listed"
    );
    assert.ok(
      !names.includes(temporary),
      'a temporary build tag is not listed'
    );
    const bobs = await service.api('GET', '/api/images?owner=bob');
    assert.deepEqual(
      bobs.body.images.filter((image: { name: string }) =>
        image.name.includes(nonce)
      ),
      []
    );
  });

  it('cleanup after a failed build drops only the temporary tag of an image that already has its final name', async () => {
    const context = join(root, 'retag-context');
    mkdirSync(context, { recursive: true });
    writeFileSync(join(context, 'README.md'), `retag ${nonce}`);
    writeFileSync(
      join(context, 'Dockerfile'),
      'FROM scratch\nCOPY README.md /README.md\n'
    );
    const buildId = `r${nonce}`;
    const final = `r2d-alice/retag-${nonce}:${'d'.repeat(40)}`;
    const temporary = `r2d-alice/retag-${nonce}:build-${buildId}`;
    docker(
      'build',
      '--quiet',
      '--label',
      `${LABEL}build-id=${buildId}`,
      '-t',
      temporary,
      context
    );
    docker('tag', temporary, final);
    made.push(final, temporary);
    // As after a retag whose untag failed: both names on the build's image; the manager cleans up.
    const engine = new DockerEngine();
    await engine.removeBuildArtifacts(buildId);
    assert.ok(imageLabels(final), 'the final image is kept');
    assert.equal(imageLabels(temporary), null, 'the temporary tag is gone');
    // An image with only its temporary tag is removed as before.
    docker('tag', final, temporary);
    removeImage(final);
    await engine.removeBuildArtifacts(buildId);
    assert.deepEqual(imagesOfBuild(buildId), []);
  });

  it('scp-like and authority-less URLs are 400 naming repo and never reach git', async () => {
    rmSync(recorder.log, { force: true });
    for (const repo of [
      'git@127.0.0.1:org/repo.git',
      '127.0.0.1:repo',
      'http:127.0.0.1/x',
      'https:/x/y',
      'https:///x',
      'http://0x7f.1/x',
      'ext::sh'
    ]) {
      const response = await service.api('POST', '/api/builds', { repo });
      assert.equal(
        response.status,
        400,
        `${repo}: ${JSON.stringify(response.body)}`
      );
      assert.equal(response.body.error.field, 'repo');
      assert.match(
        response.body.error.message,
        /https:\/\/github\.com\/owner\/repo/,
        'says how to fix it'
      );
    }
    assert.deepEqual(recorder.runs(), [], 'git was not run');
  });

  it('git runs in the controlled environment: argv with "--", no inherited GIT_*, a HOME of its own', async () => {
    rmSync(recorder.log, { force: true });
    const repo = makeRepo(`env-${nonce}`, {
      'README.md': 'x\n',
      // Without one, no `git submodule` runs at all (checkout.ts); its environment is checked here.
      '.gitmodules': '# no submodules yet\n',
      Dockerfile: dockerfile()
    });
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url
    });
    assert.equal(started.status, 202);
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    made.push(build.image);
    const runs = recorder.runs();
    const lsRemote = runs.find(run => run.argv.includes('ls-remote'))!;
    const clone = runs.find(run => run.argv.includes('clone'))!;
    const submodule = runs.find(run => run.argv.includes('submodule'))!;
    assert.ok(
      lsRemote && clone && submodule,
      JSON.stringify(runs.map(run => run.argv))
    );
    assert.deepEqual(lsRemote.argv.slice(-2), ['--', repo.url]);
    assert.deepEqual(clone.argv.slice(clone.argv.indexOf('clone')), [
      'clone',
      '--no-checkout',
      '--',
      repo.url,
      clone.argv.at(-1)
    ]);
    for (const run of runs) {
      assert.ok(
        run.argv.includes('credential.helper='),
        'no credential helper'
      );
      assert.ok(run.argv.includes('protocol.ext.allow=never'));
      assert.equal(run.env.GIT_CONFIG_NOSYSTEM, '1');
      assert.equal(run.env.GIT_CONFIG_GLOBAL, '/dev/null');
      assert.equal(run.env.GIT_TERMINAL_PROMPT, '0');
      assert.notEqual(run.env.HOME, serviceHome);
      assert.equal(run.env.GIT_SSH_COMMAND, undefined);
      assert.equal(run.env.GIT_CONFIG_PARAMETERS, undefined);
      assert.deepEqual(
        Object.keys(run.env)
          .filter(name => name.startsWith('GIT_'))
          .sort(),
        [
          'GIT_ALLOW_PROTOCOL',
          'GIT_ASKPASS',
          'GIT_CONFIG_GLOBAL',
          'GIT_CONFIG_NOSYSTEM',
          'GIT_TERMINAL_PROMPT'
        ]
      );
    }
    assert.equal(lsRemote.env.GIT_ALLOW_PROTOCOL, 'https:http:git:file');
    assert.equal(clone.env.GIT_ALLOW_PROTOCOL, 'https:http:git:file');
    assert.equal(
      submodule.env.GIT_ALLOW_PROTOCOL,
      'https:http:git',
      'submodules: network transports only'
    );
    assert.equal(
      existsSync(clone.argv.at(-1)!),
      false,
      'the checkout is removed after the build'
    );
    // git's own lines are in the build log, as fetching.
    const labels = imageLabels(build.image)!;
    assert.equal(labels[`${LABEL}repo`], repo.url);
    assert.equal(labels[`${LABEL}owner`], 'alice');
  });

  it("the service user's ~/.gitconfig does not apply to users' URLs", async () => {
    const target = makeRepo(`insteadof-${nonce}`, {
      'README.md': 'x\n',
      Dockerfile: dockerfile()
    });
    const closed = await freePort(); // nothing listens there
    const marker = join(root, 'credential-helper-ran');
    writeFileSync(
      join(serviceHome, '.gitconfig'),
      `[url "${target.url}"]\n\tinsteadOf = http://127.0.0.1:${closed}/x\n[credential]\n\thelper = "!touch ${marker}"\n`
    );
    // Control: with that HOME, a plain git does read the local repository through the URL.
    const direct = execFileSync(
      'git',
      ['ls-remote', '--', `http://127.0.0.1:${closed}/x`],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: serviceHome }
      }
    );
    assert.match(direct, new RegExp(target.commit));
    assert.equal(existsSync(marker), false);
    const response = await service.api('POST', '/api/builds', {
      repo: `http://127.0.0.1:${closed}/x`
    });
    // With the service user's config, git would have read the local repository instead.
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.error.field, 'repo');
    assert.match(response.body.error.message, /cannot read repository/);
    assert.equal(existsSync(marker), false);
    assert.equal(existsSync(join(root, 'pwned-ssh')), false);
  });

  it('a submodule over file:// or ext:: fails the build, and the submodule is not fetched', async () => {
    const sub = makeRepo(`sub-${nonce}`, { 'README.md': 'sub\n' });
    const pwned = join(root, 'pwned-by-ext');
    for (const [name, url, transport] of [
      [`super-file-${nonce}`, sub.url, 'file'],
      [`super-ext-${nonce}`, `ext::sh -c touch% ${pwned}`, 'ext']
    ]) {
      const repo = makeRepo(name, {
        'README.md': 'super\n',
        Dockerfile: 'FROM scratch\nCOPY sub/README.md /sub.md\n'
      });
      writeFileSync(
        join(repo.dir, '.gitmodules'),
        `[submodule "sub"]\n\tpath = sub\n\turl = ${url}\n`
      );
      git(
        repo.dir,
        'update-index',
        '--add',
        '--cacheinfo',
        `160000,${sub.commit},sub`
      );
      git(repo.dir, 'add', '.gitmodules');
      git(repo.dir, 'commit', '-q', '-m', 'submodule');
      rmSync(recorder.log, { force: true });
      const started = await service.api('POST', '/api/builds', {
        repo: repo.url
      });
      assert.equal(started.status, 202);
      const build = await service.waitForBuild(started.body.id);
      assert.equal(build.phase, 'failed', JSON.stringify(build));
      assert.match(
        build.error,
        new RegExp(
          `fetching the submodules failed: fatal: transport '${transport}' not allowed`
        )
      );
      assert.deepEqual(imagesOfBuild(build.id), []);
      // git was asked only under the submodule policy: no clone of the submodule's URL succeeded.
      const subRuns = recorder
        .runs()
        .filter(run => run.argv.includes('submodule'));
      assert.ok(
        subRuns.length > 0 &&
          subRuns.every(run => run.env.GIT_ALLOW_PROTOCOL === 'https:http:git')
      );
    }
    assert.equal(existsSync(pwned), false, 'ext:: ran nothing');
  });
});

describe('repositories on private addresses', () => {
  let daemon: ChildProcess | null = null;
  let port = 0;
  let guarded: ServiceProcess;
  let allowing: ServiceProcess;
  let recorder: ReturnType<typeof gitRecorder>;
  let url = '';
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    root ||= mkdtempSync(join(tmpdir(), 'r2d-hostile-'));
    mkdirSync(root, { recursive: true });
    const base = join(root, 'daemon');
    mkdirSync(base, { recursive: true });
    const served = join(root, 'repos', `served-${nonce}`);
    mkdirSync(served, { recursive: true });
    git(served, 'init', '-q', '-b', 'main');
    writeFileSync(join(served, 'README.md'), `served ${nonce}\n`);
    writeFileSync(join(served, 'Dockerfile'), dockerfile());
    git(served, 'add', '-A');
    git(served, 'commit', '-q', '-m', 'served');
    execFileSync('git', [
      'clone',
      '-q',
      '--bare',
      served,
      join(base, 'served.git')
    ]);
    port = await freePort();
    daemon = spawn(
      'git',
      [
        'daemon',
        '--reuseaddr',
        '--export-all',
        `--base-path=${base}`,
        '--listen=127.0.0.1',
        `--port=${port}`,
        base
      ],
      {
        stdio: 'ignore'
      }
    );
    await waitForPort(port, 10_000);
    url = `git://127.0.0.1:${port}/served.git`;
    recorder = gitRecorder('git-guarded');
    guarded = await new ServiceProcess({
      user: 'alice',
      config: {
        git: { command: recorder.command },
        builds: { allowLocalRepos: true, refusePrivateAddresses: true }
      }
    }).start();
    allowing = await new ServiceProcess({
      user: 'alice',
      config: {
        builds: {
          allowLocalRepos: true,
          refusePrivateAddresses: true,
          allowedHosts: ['127.0.0.1']
        }
      }
    }).start();
  });

  after(async () => {
    await guarded?.stop();
    await allowing?.stop();
    daemon?.kill('SIGTERM');
    made.forEach(removeImage);
    if (root) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is refused with 400 naming repo under refusePrivateAddresses, before git runs', async () => {
    for (const repo of [
      url,
      `git://localhost:${port}/served.git`,
      `http://127.0.0.1:${port}/served.git`,
      `git://[::1]:${port}/served.git`
    ]) {
      const response = await guarded.api('POST', '/api/builds', { repo });
      assert.equal(
        response.status,
        400,
        `${repo}: ${JSON.stringify(response.body)}`
      );
      assert.equal(response.body.error.field, 'repo');
      assert.match(response.body.error.message, /private or local address/);
      assert.match(response.body.error.message, /builds\.allowedHosts/);
    }
    assert.deepEqual(recorder.runs(), [], 'git never ran');
  });

  it('is accepted and built when allowedHosts lists 127.0.0.1', async () => {
    const started = await allowing.api('POST', '/api/builds', { repo: url });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await allowing.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    made.push(build.image);
    assert.equal(imageLabels(build.image)?.[`${LABEL}repo`], url);
    // Only the listed host: localhost (the same machine by another name) is still refused.
    const other = await allowing.api('POST', '/api/builds', {
      repo: `git://localhost:${port}/served.git`
    });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.field, 'repo');
  });
});
