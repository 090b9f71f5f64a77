/**
 * Private repositories against a real git server that requires authentication (lighttpd +
 * git-http-backend, scripts/start-git-server.sh), the real git, the real repo2docker and the real
 * engine. The checkout function is called directly (the build request does not carry
 * credentials yet); then repo2docker builds from that checkout, and the credential is looked
 * for everywhere it must not be: every git argv, every process's command line during a clone,
 * the log lines, the checkout's files (.git included), repo2docker's argv and environment, the
 * saved image (every layer), its history and its inspect output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { BuildFailure, type BuildSink } from '../../src/backends/backend.js';
import {
  checkout,
  type Checkout,
  type CheckoutOptions
} from '../../src/backends/checkout.js';
import { PASSWORD_VAR } from '../../src/backends/git-credentials.js';
import {
  Repo2DockerRun,
  type Repo2DockerJob
} from '../../src/backends/repo2docker-run.js';
import {
  startSupervisor,
  type PendingSupervisor
} from '../../src/backends/supervise.js';
import { imageLabels, removeImage } from '../helpers/docker-cli.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import {
  OFFLINE_CONFIG,
  REPO2DOCKER,
  requireRealParts
} from '../helpers/paths.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { readLog } from '../helpers/sse.js';

const nonce = randomBytes(4).toString('hex');
// Distinctive, so that finding it anywhere means a leak and nothing else.
const PASSWORD = `tok-${randomBytes(16).toString('hex')}`;
const USERNAME = 'alice';
const never = new AbortController().signal;
const savedTmp = process.env.TMPDIR;

let root = '';
let scratch = '';
let server: GitServer;
let privateRepo: { url: string; commit: string };
let publicRepo: { url: string; commit: string };

/** Every form of the secret a leak could take. */
const SECRET_FORMS = [
  PASSWORD,
  Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')
];
const holdsSecret = (data: Buffer | string): boolean =>
  SECRET_FORMS.some(form =>
    typeof data === 'string' ? data.includes(form) : data.indexOf(form) !== -1
  );

/** Files under `dir` (recursively, symlinks not followed) whose bytes hold the secret. */
function filesWithSecret(dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    const info = lstatSync(path);
    if (info.isDirectory()) {
      readdirSync(path).forEach(entry => walk(join(path, entry)));
    } else if (info.isFile() && holdsSecret(readFileSync(path))) {
      found.push(path);
    }
  };
  walk(dir);
  return found;
}

/** A git wrapper that records each run's argv, and whether the secret's variable was set. */
function gitRecorder(): {
  command: string;
  runs: () => { argv: string[]; hasSecretVar: boolean }[];
  raw: () => string;
} {
  const log = join(root, 'git-runs.log');
  const command = join(root, 'git-recorder.sh');
  writeFileSync(
    command,
    `#!/bin/sh\n{ printf 'ARGV'; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; [ -n "$${PASSWORD_VAR}" ] && echo HAS_SECRET_VAR; } >> '${log}'\nexec git "$@"\n`
  );
  chmodSync(command, 0o755);
  const raw = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const runs = (): { argv: string[]; hasSecretVar: boolean }[] => {
    const out: { argv: string[]; hasSecretVar: boolean }[] = [];
    for (const line of raw().split('\n')) {
      if (line.startsWith('ARGV')) {
        out.push({ argv: line.slice(5).split('\x1f'), hasSecretVar: false });
      } else if (line === 'HAS_SECRET_VAR' && out.length > 0) {
        out[out.length - 1].hasSecretVar = true;
      }
    }
    return out;
  };
  return { command, runs, raw };
}

/** A TCP proxy that holds every server answer back `ms`: git's helpers live long enough to be seen in /proc. */
class SlowProxy {
  port = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly target: number,
    private readonly ms: number
  ) {}

  async start(): Promise<this> {
    this.server = createServer(client => {
      const upstream = connect(this.target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      client.on('data', chunk => upstream.write(chunk));
      upstream.on('data', chunk =>
        setTimeout(() => client.writable && client.write(chunk), this.ms)
      );
      upstream.on('end', () => setTimeout(() => client.end(), this.ms));
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  close(): void {
    this.server?.close();
    this.sockets.forEach(socket => socket.destroy());
  }
}

/** Command lines (and environments) of every process, read from /proc, for those matching `needle`. */
function processesMentioning(
  needle: string
): { pid: string; cmdline: string; environ: string }[] {
  const found: { pid: string; cmdline: string; environ: string }[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(
        /\0/g,
        ' '
      );
      if (cmdline.includes(needle)) {
        found.push({
          pid,
          cmdline,
          environ: readFileSync(`/proc/${pid}/environ`, 'latin1')
        });
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe']
    }
  ).trim();
}

/** A private repository on the server whose one submodule is at `submoduleUrl`. */
function repoWithSubmodule(
  name: string,
  submoduleUrl: string,
  submoduleCommit: string
): { url: string; commit: string } {
  const work = join(root, `work-${name}`);
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  writeFileSync(
    join(work, '.gitmodules'),
    `[submodule "sub"]\n\tpath = sub\n\turl = ${submoduleUrl}\n`
  );
  writeFileSync(join(work, 'Dockerfile'), 'FROM scratch\nCOPY . /src\n');
  git(work, 'add', '.gitmodules', 'Dockerfile');
  // The gitlink written directly: `git submodule add` would have to fetch the private repo.
  git(
    work,
    'update-index',
    '--add',
    '--cacheinfo',
    `160000,${submoduleCommit},sub`
  );
  git(work, 'commit', '-q', '-m', name);
  execFileSync(
    'git',
    [
      'clone',
      '-q',
      '--bare',
      work,
      join(server.reposDir('private'), `${name}.git`)
    ],
    { stdio: 'ignore' }
  );
  return {
    url: `${server.url}/private/${name}.git`,
    commit: git(work, 'rev-parse', 'HEAD')
  };
}

const host = (): string => `127.0.0.1:${server.port}`;

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a failure'),
    (error: Error) => error
  );
}

describe('private repositories over http with basic auth', () => {
  let recorder: ReturnType<typeof gitRecorder>;
  let options: CheckoutOptions;
  const images: string[] = [];

  before(async () => {
    requireRealParts();
    root = mkdtempSync(join(tmpdir(), 'r2d-private-'));
    scratch = join(root, 'tmp');
    mkdirSync(scratch);
    process.env.TMPDIR = scratch; // checkouts land here: leftovers can be counted
    server = await startGitServer(USERNAME, PASSWORD);
    privateRepo = server.fixture(`secret-${nonce}`);
    publicRepo = server.fixture(`open-${nonce}`, 'public');
    recorder = gitRecorder();
    options = {
      git: recorder.command,
      allowLocalRepos: false,
      followRedirects: false
    };
  });

  after(() => {
    // Assigning undefined would set the string "undefined": the next suite's mktemp would fail.
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    images.forEach(removeImage);
    server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the server itself: the private tree refuses anonymous git, the public tree serves it', () => {
    const anonymous = (url: string): number => {
      try {
        execFileSync('git', ['ls-remote', '--', url], {
          env: { PATH: process.env.PATH, GIT_TERMINAL_PROMPT: '0', HOME: root },
          stdio: 'ignore'
        });
        return 0;
      } catch (error) {
        return (error as { status: number }).status;
      }
    };
    assert.equal(anonymous(publicRepo.url), 0);
    assert.notEqual(anonymous(privateRepo.url), 0);
  });

  it('clones with the right credential; the secret is in no argv, no log line, no file of the checkout', async () => {
    const lines: string[] = [];
    const before = recorder.runs().length;
    const fetched = await checkout(
      options,
      { repo: privateRepo.url, commit: privateRepo.commit, subdir: null },
      line => lines.push(line),
      never,
      {
        username: USERNAME,
        password: PASSWORD
      }
    );
    try {
      assert.match(
        readFileSync(join(fetched.dir, 'marker'), 'utf8'),
        /^private fixture secret-/
      );
      assert.equal(git(fetched.dir, 'rev-parse', 'HEAD'), privateRepo.commit);
      // .git/config keeps the URL as given, with no credential in it.
      assert.equal(
        git(fetched.dir, 'config', '--get', 'remote.origin.url'),
        privateRepo.url
      );
      // grep -r of the whole build directory: checkout, .git, the build's HOME and the helper.
      const base = join(fetched.dir, '..');
      assert.deepEqual(filesWithSecret(base), []);
      assert.ok(
        existsSync(join(fetched.dir, '.git', 'config')),
        'the walk covered .git'
      );
      assert.ok(!lines.some(holdsSecret), 'no log line holds the secret');
      const runs = recorder.runs().slice(before);
      assert.ok(
        runs.some(run => run.argv.includes('clone')),
        JSON.stringify(runs.map(run => run.argv))
      );
      for (const run of runs) {
        assert.ok(
          !run.argv.some(holdsSecret),
          `argv holds the secret: ${run.argv.join(' ')}`
        );
        // Every git of the build clears the helpers first, then adds ours for this host only.
        const reset = run.argv.indexOf('credential.helper=');
        const scoped = run.argv.findIndex(arg =>
          arg.startsWith(`credential.http://${host()}.helper=/`)
        );
        assert.ok(reset >= 0 && scoped > reset, run.argv.join(' '));
        assert.equal(
          run.hasSecretVar,
          true,
          'the secret reaches git through its environment'
        );
      }
      assert.ok(!holdsSecret(recorder.raw()));
    } finally {
      await fetched.remove();
    }
    assert.deepEqual(
      readdirSync(scratch),
      [],
      'nothing of the checkout is left'
    );
  });

  it('no process command line holds the secret while git fetches (git-remote-http seen in /proc, the secret only in its environment)', async () => {
    // Through a proxy that slows every answer: the fetch lasts long enough to be watched.
    const proxy = await new SlowProxy(server.port, 150).start();
    const url = `http://127.0.0.1:${proxy.port}/private/secret-${nonce}.git`;
    const seen = new Map<string, { cmdline: string; environ: string }>();
    const watch = setInterval(() => {
      for (const process of processesMentioning(`127.0.0.1:${proxy.port}`)) {
        seen.set(`${process.pid} ${process.cmdline}`, process);
      }
    }, 10);
    try {
      const fetched = await checkout(
        options,
        { repo: url, commit: privateRepo.commit, subdir: null },
        () => undefined,
        never,
        {
          username: USERNAME,
          password: PASSWORD
        }
      );
      await fetched.remove();
    } finally {
      clearInterval(watch);
      proxy.close();
    }
    const processes = [...seen.values()];
    const remote = processes.filter(process =>
      /remote-https? /.test(process.cmdline)
    );
    assert.ok(
      remote.length > 0,
      `git-remote-http was seen: ${processes.map(process => process.cmdline).join(' | ')}`
    );
    for (const process of processes) {
      assert.ok(!holdsSecret(process.cmdline), process.cmdline);
    }
    // Where the secret does live: the environment of git's processes (readable by this user only).
    assert.ok(
      remote.some(process =>
        process.environ.includes(`${PASSWORD_VAR}=${PASSWORD}`)
      )
    );
  });

  it('a wrong token fails with "authentication failed for 127.0.0.1:PORT" and leaves nothing', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const lines: string[] = [];
    const error = await failure(
      checkout(
        options,
        { repo: privateRepo.url, commit: privateRepo.commit, subdir: null },
        line => lines.push(line),
        never,
        {
          username: USERNAME,
          password: wrong
        }
      )
    );
    assert.ok(error instanceof BuildFailure);
    assert.equal(error.message, `authentication failed for ${host()}`);
    assert.ok(
      !lines.some(line => line.includes(wrong)),
      'the wrong token is in no log line either'
    );
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('no credential: fails at once, asking nothing ("authentication required for 127.0.0.1:PORT")', async () => {
    const started = Date.now();
    const error = await failure(
      checkout(
        options,
        { repo: privateRepo.url, commit: privateRepo.commit, subdir: null },
        () => undefined,
        never
      )
    );
    const ms = Date.now() - started;
    assert.ok(error instanceof BuildFailure);
    assert.match(
      error.message,
      new RegExp(
        `^authentication required for ${host().replace(/\./g, '\\.')}: `
      )
    );
    assert.ok(ms < 10_000, `no prompt, no hang: ${ms} ms`);
    // The same server's public tree needs nothing.
    const fetched = await checkout(
      options,
      { repo: publicRepo.url, commit: publicRepo.commit, subdir: null },
      () => undefined,
      never
    );
    assert.match(
      readFileSync(join(fetched.dir, 'marker'), 'utf8'),
      /^public fixture/
    );
    await fetched.remove();
  });

  it('a submodule on the same host gets the credential; one on another host never does', async () => {
    const credentials = { username: USERNAME, password: PASSWORD };
    const same = repoWithSubmodule(
      `same-${nonce}`,
      privateRepo.url,
      privateRepo.commit
    );
    const fetched = await checkout(
      options,
      { repo: same.url, commit: same.commit, subdir: null },
      () => undefined,
      never,
      credentials
    );
    assert.match(
      readFileSync(join(fetched.dir, 'sub', 'marker'), 'utf8'),
      /^private fixture/
    );
    assert.deepEqual(
      filesWithSecret(join(fetched.dir, '..')),
      [],
      'the submodule keeps no secret either (.git/modules)'
    );
    await fetched.remove();
    // localhost is the same server, but not the host the credential was given for.
    const otherUrl = `http://localhost:${server.port}/private/secret-${nonce}.git`;
    const other = repoWithSubmodule(
      `other-${nonce}`,
      otherUrl,
      privateRepo.commit
    );
    const error = await failure(
      checkout(
        options,
        { repo: other.url, commit: other.commit, subdir: null },
        () => undefined,
        never,
        credentials
      )
    );
    assert.match(
      error.message,
      new RegExp(`^authentication required for localhost:${server.port}: `)
    );
  });

  it('built by repo2docker from that checkout: the secret is in no build line, repo2docker run, layer, history or inspect output', async () => {
    const image = `r2d-private-test-${nonce}:latest`;
    images.push(image);
    // repo2docker through a wrapper that records its argv and whole environment.
    const r2dLog = join(root, 'repo2docker-run.log');
    const r2d = join(root, 'repo2docker-recorder.sh');
    writeFileSync(
      r2d,
      `#!/bin/sh\n{ printf '%s\\n' "$@"; env; } > '${r2dLog}'\nexec '${REPO2DOCKER}' "$@"\n`
    );
    chmodSync(r2d, 0o755);
    const backend = new Repo2DockerRun({
      command: [r2d],
      configFile: OFFLINE_CONFIG,
      userId: 1000,
      userName: 'jovyan',
      secretEnv: [],
      git: recorder.command
    });
    const job: Repo2DockerJob = {
      buildId: `private-${nonce}`,
      repo: privateRepo.url,
      commit: privateRepo.commit,
      subdir: null,
      image,
      labels: { 'org.example.test': nonce },
      push: false
    };
    const lines: string[] = [];
    const sink: BuildSink = { line: (_phase, message) => lines.push(message) };
    const fetched = await checkout(
      options,
      job,
      line => lines.push(line),
      never,
      { username: USERNAME, password: PASSWORD }
    );
    try {
      // The backend's own build step on this checkout (Repo2DockerJob does not carry credentials yet,
      // so run() cannot be asked to fetch with them): the environment and argv it gives repo2docker.
      const build = (
        backend as unknown as {
          build(
            job: Repo2DockerJob,
            fetched: Checkout,
            supervisor: PendingSupervisor,
            sink: BuildSink,
            signal: AbortSignal
          ): Promise<void>;
        }
      ).build;
      await build.call(backend, job, fetched, startSupervisor(), sink, never);
    } finally {
      await fetched.remove();
    }
    assert.ok(
      lines.some(line =>
        line.includes(`marker: private fixture secret-${nonce}`)
      ),
      lines.slice(-10).join('\n')
    );
    assert.ok(!lines.some(holdsSecret), 'no build line');
    const r2dRun = readFileSync(r2dLog, 'utf8');
    assert.ok(
      r2dRun.includes('--image-name'),
      'the recorder saw repo2docker run'
    );
    assert.ok(!holdsSecret(r2dRun), "repo2docker's argv and environment");
    assert.ok(
      !r2dRun.includes(PASSWORD_VAR),
      'no credential variable reaches repo2docker'
    );

    const saved = execFileSync('docker', ['save', image], {
      maxBuffer: 512 * 1024 * 1024
    });
    assert.ok(
      !holdsSecret(saved),
      'no layer, config or manifest of `docker save`'
    );
    // The image holds the checkout's .git (COPY . /src): the search above did cover it.
    assert.ok(
      saved.includes('src/.git/config'),
      'the image has the .git directory'
    );
    assert.ok(
      saved.includes(`url = ${privateRepo.url}`),
      'and .git/config with the plain URL'
    );
    const history = execFileSync('docker', ['history', '--no-trunc', image], {
      encoding: 'utf8'
    });
    assert.ok(history.includes('COPY'), history);
    assert.ok(!holdsSecret(history), 'docker history --no-trunc');
    const inspect = execFileSync('docker', ['image', 'inspect', image], {
      encoding: 'utf8'
    });
    assert.ok(!holdsSecret(inspect), 'docker inspect');
  });
});

/**
 * The same, through the running service's API: credentials in POST /api/builds, and the password
 * looked for in every answer the service gives (the builds list, the build, its log stream,
 * /metrics, the image list), in the service's own stdout and stderr, and in the image
 * (inspect, history, every layer of `docker save`).
 */
describe('private repositories through the service API', () => {
  const PASS = `api-tok-${randomBytes(16).toString('hex')}`;
  const FORMS = [
    PASS,
    encodeURIComponent(PASS),
    Buffer.from(`${USERNAME}:${PASS}`).toString('base64')
  ];
  const leaks = (text: string | Buffer): boolean =>
    FORMS.some(form =>
      typeof text === 'string' ? text.includes(form) : text.indexOf(form) !== -1
    );
  let git: GitServer;
  let repo: { url: string; commit: string };
  let service: ServiceProcess;
  const made: string[] = [];

  before(async () => {
    requireRealParts();
    git = await startGitServer(USERNAME, PASS);
    repo = git.fixture(`api-${nonce}`);
    service = await new ServiceProcess({
      // info: the service logs every request and build; the password must be in none of it.
      config: {
        builds: { allowLocalRepos: false, refusePrivateAddresses: false },
        logLevel: 'info'
      }
    }).start();
  });

  after(async () => {
    await service?.stop();
    made.forEach(removeImage);
    git?.stop();
  });

  it('builds with credentials; the password is in no answer, log, metric, service output, label, history or layer', async () => {
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url,
      credentials: { username: USERNAME, password: PASS }
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.private, true);
    assert.ok(!leaks(JSON.stringify(started.body)), 'POST answer');
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'built', JSON.stringify(build));
    assert.equal(build.commit, repo.commit);
    made.push(build.image);

    const answers: Record<string, string> = {
      'GET /api/builds': JSON.stringify(
        (await service.api('GET', '/api/builds')).body
      ),
      'GET /api/builds/{id}': JSON.stringify(
        (await service.api('GET', `/api/builds/${build.id}`)).body
      ),
      'GET /api/images': JSON.stringify(
        (await service.api('GET', '/api/images')).body
      )
    };
    const log = await readLog(service.url, service.headers(), build.id);
    assert.ok(
      log.events.some(event =>
        event.message.includes(`marker: private fixture api-${nonce}`)
      ),
      'the log is the real one'
    );
    answers['SSE log'] = JSON.stringify(log.events);
    answers['/metrics'] = await (await fetch(`${service.url}/metrics`)).text();
    assert.match(answers['/metrics'], /\n[a-z_]+/, 'metrics answered');
    answers['service stdout+stderr'] = service.output;
    assert.ok(
      service.output.length > 0,
      'the service logged something at info'
    );
    const labels = imageLabels(build.image)!;
    assert.equal(labels['org.jupyter.repo2docker-service.private'], 'true');
    assert.equal(
      labels['org.jupyter.repo2docker-service.repo'],
      repo.url,
      'the label carries the URL without credentials'
    );
    answers['labels'] = JSON.stringify(labels);
    answers['docker inspect'] = execFileSync(
      'docker',
      ['image', 'inspect', build.image],
      { encoding: 'utf8' }
    );
    answers['docker history'] = execFileSync(
      'docker',
      ['history', '--no-trunc', build.image],
      { encoding: 'utf8' }
    );
    for (const [where, text] of Object.entries(answers)) {
      assert.ok(!leaks(text), `the password is in ${where}`);
    }
    const saved = execFileSync('docker', ['save', build.image], {
      maxBuffer: 512 * 1024 * 1024
    });
    assert.ok(
      saved.includes('src/.git/config'),
      'the saved image has the checkout, .git included'
    );
    assert.ok(!leaks(saved), 'docker save (every layer, config and manifest)');

    // The owner asking again is told it is built.
    const again = await service.api('POST', '/api/builds', {
      repo: repo.url,
      credentials: { username: USERNAME, password: PASS }
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.alreadyBuilt, true);
    assert.ok(!leaks(service.output), 'nor after the second request');
  });

  it('a wrong token: 400 naming credentials, "authentication failed for HOST", and the token is nowhere', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const answer = await service.api('POST', '/api/builds', {
      repo: repo.url,
      credentials: { username: USERNAME, password: wrong }
    });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body.error.field, 'credentials');
    assert.equal(
      answer.body.error.message,
      `authentication failed for 127.0.0.1:${git.port}`
    );
    assert.ok(!JSON.stringify(answer.body).includes(wrong));
    assert.ok(!service.output.includes(wrong), 'not in the service log');
  });

  it('a wrong token with a full commit (no lookup): the build ends failed with "authentication failed for HOST"', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const started = await service.api('POST', '/api/builds', {
      repo: repo.url,
      ref: repo.commit,
      force: true,
      credentials: { username: USERNAME, password: wrong }
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const build = await service.waitForBuild(started.body.id);
    assert.equal(build.phase, 'failed');
    assert.equal(
      build.error,
      `authentication failed for 127.0.0.1:${git.port}`
    );
    const log = await readLog(service.url, service.headers(), build.id);
    assert.ok(!JSON.stringify(log.events).includes(wrong));
    assert.ok(!service.output.includes(wrong));
  });

  it('no credentials for the private repository: 400 naming repo, asking for a username and token', async () => {
    const answer = await service.api('POST', '/api/builds', { repo: repo.url });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.field, 'repo');
    assert.match(
      answer.body.error.message,
      /^authentication required for 127\.0\.0\.1:\d+: /
    );
  });

  it('bad credentials are refused naming the field', async () => {
    for (const [credentials, field] of [
      [{ username: USERNAME }, 'credentials.password'],
      [{ username: '', password: 'x' }, 'credentials.username'],
      [{ username: USERNAME, password: 'a\nb' }, 'credentials.password'],
      ['alice:tok', 'credentials']
    ] as const) {
      const answer = await service.api('POST', '/api/builds', {
        repo: repo.url,
        credentials
      });
      assert.equal(answer.status, 400, JSON.stringify(credentials));
      assert.equal(answer.body.error.field, field);
    }
    const answer = await service.api('POST', '/api/builds', {
      repo: `git://127.0.0.1:${git.port}/private/x.git`,
      credentials: { username: 'a', password: 'b' }
    });
    assert.equal(answer.body.error.field, 'repo');
  });
});
