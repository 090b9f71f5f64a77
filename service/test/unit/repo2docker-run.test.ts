/**
 * One repo2docker run (the local backend's process): repo2docker's argv, and runs against fake "repo2docker" node scripts written
 * into a temporary directory (a unit test at the process boundary: no Docker, no network).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BuildPhase, BuildProgress } from '../../src/api/contract.js';
import { BuildFailure, type BuildSink } from '../../src/backends/backend.js';
import {
  Repo2DockerRun,
  repo2dockerArgs,
  type Repo2DockerJob,
  type Repo2DockerOptions
} from '../../src/backends/repo2docker-run.js';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const CHECKOUT = '/tmp/r2d-checkout-x/repo';

function job(overrides: Partial<Repo2DockerJob> = {}): Repo2DockerJob {
  return {
    buildId: 'b0001',
    repo: 'https://github.com/org/repo',
    commit: COMMIT,
    subdir: null,
    image: `r2d-alice/repo:${COMMIT}`,
    labels: {
      'org.jupyter.repo2docker-service.owner': 'alice',
      'org.jupyter.repo2docker-service.build-id': 'b0001'
    },
    push: false,
    ...overrides
  };
}

function options(
  overrides: Partial<Repo2DockerOptions> = {}
): Repo2DockerOptions {
  return {
    command: ['repo2docker'],
    configFile: null,
    userId: 1000,
    userName: 'jovyan',
    secretEnv: [],
    ...overrides
  };
}

/** Options of repo2docker that take a value, and those that do not. */
const WITH_VALUE = new Set([
  '--user-id',
  '--user-name',
  '--image-name',
  '--config',
  '--subdir',
  '--label'
]);
const FLAGS = new Set(['--no-run', '--json-logs', '--push']);

/**
 * Walk argv as repo2docker's parser would: every option known, every value right after its
 * option, and after `--` exactly one positional, the repository. Returns the options seen.
 */
function parseArgv(args: string[]): {
  options: [string, string | true][];
  positional: string[];
} {
  const seen: [string, string | true][] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      return { options: seen, positional: args.slice(i + 1) };
    }
    if (WITH_VALUE.has(arg)) {
      assert.ok(i + 1 < args.length, `${arg} has no value`);
      seen.push([arg, args[i + 1]]);
      i++;
    } else if (FLAGS.has(arg)) {
      seen.push([arg, true]);
    } else {
      assert.fail(
        `unexpected argument ${JSON.stringify(arg)} at ${i} in ${JSON.stringify(args)}`
      );
    }
  }
  assert.fail(`no "--" in ${JSON.stringify(args)}`);
}

describe('repo2dockerArgs', () => {
  it('ends with "--" and the local checkout, never the URL', () => {
    const args = repo2dockerArgs(job(), options(), CHECKOUT);
    assert.deepEqual(args.slice(-2), ['--', CHECKOUT]);
    assert.equal(args.indexOf('--'), args.length - 2);
    assert.ok(!args.includes('https://github.com/org/repo'));
  });

  it('passes the image name, user, and the flags repo2docker needs; no --ref (the checkout is at the commit)', () => {
    const parsed = parseArgv(
      repo2dockerArgs(
        job(),
        options({ userId: 1234, userName: 'builder' }),
        CHECKOUT
      )
    );
    const get = (name: string) =>
      parsed.options
        .filter(([option]) => option === name)
        .map(([, value]) => value);
    assert.ok(!repo2dockerArgs(job(), options(), CHECKOUT).includes('--ref'));
    assert.deepEqual(get('--image-name'), [`r2d-alice/repo:${COMMIT}`]);
    assert.deepEqual(get('--user-id'), ['1234']);
    assert.deepEqual(get('--user-name'), ['builder']);
    assert.deepEqual(get('--no-run'), [true]);
    assert.deepEqual(get('--json-logs'), [true]);
    assert.deepEqual(get('--push'), []);
    assert.deepEqual(get('--config'), []);
    assert.deepEqual(get('--subdir'), []);
    assert.deepEqual(parsed.positional, [CHECKOUT]);
  });

  it('gives each label as --label key=value', () => {
    const labels = {
      a: '1',
      'org.example.repo': 'https://x/y',
      'with.equals': 'k=v',
      empty: ''
    };
    const parsed = parseArgv(
      repo2dockerArgs(job({ labels }), options(), CHECKOUT)
    );
    assert.deepEqual(
      parsed.options
        .filter(([option]) => option === '--label')
        .map(([, value]) => value),
      ['a=1', 'org.example.repo=https://x/y', 'with.equals=k=v', 'empty=']
    );
  });

  it('adds --config and --subdir only when given, and --push when asked', () => {
    const without = repo2dockerArgs(job(), options(), CHECKOUT);
    assert.ok(!without.includes('--config'));
    assert.ok(!without.includes('--subdir'));
    assert.ok(!without.includes('--push'));
    const withAll = parseArgv(
      repo2dockerArgs(
        job({ subdir: 'binder', push: true }),
        options({ configFile: '/etc/r2d/offline.py' }),
        CHECKOUT
      )
    );
    assert.deepEqual(
      withAll.options.filter(([option]) =>
        ['--config', '--subdir', '--push'].includes(option)
      ),
      [
        ['--config', '/etc/r2d/offline.py'],
        ['--subdir', 'binder'],
        ['--push', true]
      ]
    );
  });

  it('puts the rest of the command before the options', () => {
    const args = repo2dockerArgs(
      job(),
      options({ command: ['/venv/bin/python', '-m', 'repo2docker'] }),
      CHECKOUT
    );
    assert.deepEqual(args.slice(0, 2), ['-m', 'repo2docker']);
    parseArgv(args.slice(2));
  });

  it('lets a value beginning with "-" appear only right after its option (or after "--")', () => {
    const hostile = job({
      repo: '--help',
      commit: '--editable',
      subdir: '-x',
      image: '--push',
      labels: { '--label': '--no-run', '-k': '-v' }
    });
    const args = repo2dockerArgs(
      hostile,
      options({ configFile: '--debug', userName: '-u' }),
      '--help'
    );
    const parsed = parseArgv(args);
    assert.deepEqual(parsed.positional, ['--help']);
    const values = new Map(parsed.options.filter(([o]) => o !== '--label'));
    assert.ok(
      !args.includes('--editable'),
      "the commit is not repo2docker's business any more"
    );
    assert.equal(values.get('--subdir'), '-x');
    assert.equal(values.get('--image-name'), '--push');
    assert.equal(values.get('--config'), '--debug');
    assert.equal(values.get('--user-name'), '-u');
    assert.equal(
      values.has('--push'),
      false,
      'the image name was read as --push'
    );
    assert.deepEqual(
      parsed.options.filter(([o]) => o === '--label').map(([, v]) => v),
      ['--label=--no-run', '-k=-v']
    );
    // Every element beginning with "-" is either a known option or sits right after one that takes a value.
    const end = args.indexOf('--');
    for (let i = 0; i < end; i++) {
      if (
        args[i].startsWith('-') &&
        !WITH_VALUE.has(args[i]) &&
        !FLAGS.has(args[i])
      ) {
        assert.ok(
          WITH_VALUE.has(args[i - 1]),
          `${args[i]} at ${i} does not follow an option`
        );
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Runs against fake repo2docker scripts.

let dir = '';
/** A real local git repository the backend clones before running the fake repo2docker. */
let repoUrl = '';
let repoCommit = '';

const SCRIPTS: Record<string, string> = {
  // Logs like repo2docker (on stderr), one line split over two writes, the last without a newline.
  'success.mjs': `
    import { writeFileSync } from 'node:fs';
    writeFileSync(process.env.R2D_FAKE_ARGV_FILE ?? '/dev/null', JSON.stringify(process.argv.slice(2)));
    const log = record => process.stderr.write(JSON.stringify(record) + '\\n');
    log({ message: 'Picked Git content provider.\\n' });
    log({ message: "Cloning into '/tmp/repo2dockerx'...\\n", phase: 'fetching' });
    process.stderr.write('{"message": "#5 [2/3] RUN ec');
    setTimeout(() => {
      process.stderr.write('ho hi\\\\n", "phase": "building"}\\n');
      log({ message: '#5 0.054 hi\\n', phase: 'building' });
      process.stdout.write('a line on stdout\\n');
      process.stderr.write(JSON.stringify({ message: '#6 DONE 0.1s\\n', phase: 'building' }));
      process.exitCode = 0;
    }, 30);
  `,
  'failure.mjs': `
    const log = record => process.stderr.write(JSON.stringify(record) + '\\n');
    log({ message: 'Picked Git content provider.\\n' });
    log({ message: '#5 [1/1] RUN false\\n', phase: 'building' });
    log({
      phase: 'failed',
      message: 'Error during build: boom\\n',
      exc_info: 'Traceback (most recent call last):\\n  File "app.py", line 1\\nRuntimeError: boom\\n'
    });
    process.exitCode = 1;
  `,
  'crash.mjs': `
    process.stderr.write('/venv/bin/python: No module named repo2docker\\n');
    process.exitCode = 2;
  `,
  // A long build with a child process in its group, like docker buildx under repo2docker.
  'sleeper.mjs': `
    import { spawn } from 'node:child_process';
    const child = spawn('sleep', ['30'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (process.env.R2D_FAKE_IGNORE_TERM === '1') process.on('SIGTERM', () => {});
    process.stderr.write(JSON.stringify({ message: 'pids ' + process.pid + ' ' + child.pid + '\\n', phase: 'building' }) + '\\n');
    setTimeout(() => {}, 30000);
  `,
  // Exits at once but leaves a child behind in its process group.
  'leaves-child.mjs': `
    import { spawn } from 'node:child_process';
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    child.unref();
    process.stderr.write(JSON.stringify({ message: 'pids ' + process.pid + ' ' + child.pid + '\\n', phase: 'building' }) + '\\n');
    process.exit(0);
  `,
  'env.mjs': `
    process.stderr.write(JSON.stringify({ message: JSON.stringify(process.env) + '\\n', phase: 'fetching' }) + '\\n');
  `
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'r2d-fake-'));
  for (const [name, text] of Object.entries(SCRIPTS)) {
    writeFileSync(join(dir, name), text);
  }
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'binder'), { recursive: true });
  writeFileSync(join(repo, 'binder', 'Dockerfile'), 'FROM scratch\n');
  const git = (...args: string[]): string =>
    execFileSync(
      'git',
      [
        '-C',
        repo,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@localhost',
        ...args
      ],
      { encoding: 'utf8' }
    ).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'fixture');
  repoUrl = `file://${repo}`;
  repoCommit = git('rev-parse', 'HEAD');
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Line {
  phase: BuildPhase | null;
  message: string;
  progress: BuildProgress | null;
}

function recorder(): BuildSink & { lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    line: (phase, message, progress) => lines.push({ phase, message, progress })
  };
}

function fake(
  script: string,
  overrides: Partial<Repo2DockerOptions> = {}
): Repo2DockerRun {
  return new Repo2DockerRun(
    options({
      command: [process.execPath, join(dir, script)],
      allowLocalRepos: true,
      ...overrides
    })
  );
}

/** A job for the local repository made in `before`. */
function localJob(overrides: Partial<Repo2DockerJob> = {}): Repo2DockerJob {
  return job({ repo: repoUrl, commit: repoCommit, ...overrides });
}

const delay = (ms: number): Promise<void> =>
  new Promise(resolve => setTimeout(resolve, ms));

/** Is the process there (a zombie waiting for its reaper counts as gone)? */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
      return false;
    }
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      return true;
    }
    await delay(20);
  }
  return !isAlive(pid);
}

async function waitFor<T>(
  get: () => T | undefined,
  ms: number,
  what: string
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}`);
    }
    await delay(10);
  }
}

function pidsFrom(lines: Line[]): [number, number] | undefined {
  const line = lines.find(l => l.message.startsWith('pids '));
  if (!line) {
    return undefined;
  }
  const [, parent, child] = line.message.split(' ').map(Number);
  return [parent, child];
}

/** Kill what a failed test may have left behind. */
function cleanup(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('Repo2DockerRun', () => {
  it('resolves on exit 0, relaying every line with its phase', async () => {
    const argvFile = join(dir, 'argv.json');
    process.env.R2D_FAKE_ARGV_FILE = argvFile;
    try {
      const sink = recorder();
      await fake('success.mjs').run(
        localJob({ subdir: 'binder' }),
        sink,
        new AbortController().signal
      );
      // First the service's own fetch (git's lines, as fetching), then repo2docker's.
      const first = sink.lines.findIndex(
        l => l.message === 'Picked Git content provider.'
      );
      assert.ok(first > 0, "git's lines come before repo2docker's");
      assert.ok(sink.lines.slice(0, first).every(l => l.phase === 'fetching'));
      assert.match(
        sink.lines[0].message,
        new RegExp(`^Fetching ${repoUrl} at ${repoCommit}`)
      );
      const stderrLines = sink.lines
        .slice(first)
        .filter(l => l.message !== 'a line on stdout');
      assert.deepEqual(stderrLines, [
        {
          phase: 'fetching',
          message: 'Picked Git content provider.',
          progress: null
        },
        {
          phase: 'fetching',
          message: "Cloning into '/tmp/repo2dockerx'...",
          progress: null
        },
        {
          phase: 'building',
          message: '#5 [2/3] RUN echo hi',
          progress: { current: 2, total: 3 }
        },
        { phase: 'building', message: '#5 0.054 hi', progress: null },
        { phase: 'building', message: '#6 DONE 0.1s', progress: null }
      ]);
      // stdout is relayed too.
      assert.equal(
        sink.lines.filter(l => l.message === 'a line on stdout').length,
        1
      );
      // The script got exactly the argv we built.
      const argv = JSON.parse(readFileSync(argvFile, 'utf8')) as string[];
      const checkoutDir = argv[argv.length - 1];
      assert.deepEqual(
        argv,
        repo2dockerArgs(
          localJob({ subdir: 'binder' }),
          options({ command: [process.execPath, join(dir, 'success.mjs')] }),
          checkoutDir
        ).slice(1)
      );
      assert.equal(argv[argv.length - 2], '--');
      assert.match(checkoutDir, /^\//, 'an absolute path');
      assert.notEqual(
        checkoutDir,
        repoUrl.replace('file://', ''),
        'a checkout of its own, not the source'
      );
      assert.equal(
        existsSync(checkoutDir),
        false,
        'the checkout is removed after the build'
      );
    } finally {
      delete process.env.R2D_FAKE_ARGV_FILE;
    }
  });

  it("checks the image's labels once repo2docker succeeded, and fails when they do not match", async () => {
    const checked: [string, Record<string, string>][] = [];
    const ok = fake('success.mjs', {
      verifyLabels: async (image, labels) => void checked.push([image, labels])
    });
    await ok.run(localJob(), recorder(), new AbortController().signal);
    assert.deepEqual(checked, [[localJob().image, localJob().labels]]);
    const forged = fake('success.mjs', {
      verifyLabels: async () => {
        throw new BuildFailure(
          "the image's labels do not match what the service set"
        );
      }
    });
    await assert.rejects(
      forged.run(localJob(), recorder(), new AbortController().signal),
      /labels do not match/
    );
    // Not asked when repo2docker failed: there is no image to judge.
    checked.length = 0;
    const failing = fake('failure.mjs', {
      verifyLabels: async (image, labels) => void checked.push([image, labels])
    });
    await assert.rejects(
      failing.run(localJob(), recorder(), new AbortController().signal),
      BuildFailure
    );
    assert.deepEqual(checked, []);
  });

  it("rejects with BuildFailure carrying the failed line's message, traceback kept apart", async () => {
    const sink = recorder();
    const tracebacks: [string, string][] = [];
    const backend = fake('failure.mjs', {
      onTraceback: (id, tb) => tracebacks.push([id, tb])
    });
    const error = await backend
      .run(localJob(), sink, new AbortController().signal)
      .then(
        () => assert.fail('the build should have failed'),
        (e: unknown) => e
      );
    assert.ok(
      error instanceof BuildFailure,
      `expected BuildFailure, got ${String(error)}`
    );
    assert.equal(error.message, 'Error during build: boom');
    assert.ok(!error.message.includes('Traceback'));
    assert.ok(
      sink.lines.every(l => !l.message.includes('Traceback')),
      'a traceback reached the log'
    );
    assert.equal(tracebacks.length, 1);
    assert.equal(tracebacks[0][0], 'b0001');
    assert.match(tracebacks[0][1], /^Traceback/);
    // The failed line is shown in the log, but the phase is not made final by the backend.
    const last = sink.lines[sink.lines.length - 1];
    assert.equal(last.message, 'Error during build: boom');
    assert.equal(last.phase, 'building');
  });

  it('rejects with the exit code when no failed line came', async () => {
    const sink = recorder();
    const error = await fake('crash.mjs')
      .run(localJob(), sink, new AbortController().signal)
      .then(
        () => assert.fail('the build should have failed'),
        (e: unknown) => e
      );
    assert.ok(error instanceof BuildFailure);
    assert.match(error.message, /exit code 2/);
    const fetched = sink.lines.findIndex(
      l => l.message === '/venv/bin/python: No module named repo2docker'
    );
    assert.deepEqual(
      sink.lines.slice(fetched).map(l => l.message),
      ['/venv/bin/python: No module named repo2docker']
    );
  });

  // BUG (src/backends/local-repo2docker.ts, run): `once(child, 'close')` also listens for 'error'
  // and rejects with the raw spawn error before the `once(child, 'error').then(...)` branch
  // can turn it into a BuildFailure, so a missing repo2docker rejects with a plain Error
  // ("spawn ... ENOENT") and the manager reports "the build stopped unexpectedly".
  it('rejects with BuildFailure when repo2docker cannot be started', async () => {
    const backend = new Repo2DockerRun(
      options({
        command: [join(dir, 'no-such-repo2docker')],
        allowLocalRepos: true
      })
    );
    const error = await backend
      .run(localJob(), recorder(), new AbortController().signal)
      .then(
        () => assert.fail('the build should have failed'),
        (e: unknown) => e
      );
    assert.ok(
      error instanceof BuildFailure,
      `expected BuildFailure, got ${String(error)}`
    );
    assert.match(error.message, /could not start repo2docker/);
  });

  it('does not start at all when the signal is already aborted', async () => {
    const reason = new Error('cancelled before start');
    const controller = new AbortController();
    controller.abort(reason);
    const sink = recorder();
    const argvFile = join(dir, 'argv-never.json');
    process.env.R2D_FAKE_ARGV_FILE = argvFile;
    try {
      await assert.rejects(
        fake('success.mjs').run(localJob(), sink, controller.signal),
        error => error === reason
      );
      await delay(200);
      assert.throws(() => readFileSync(argvFile), /ENOENT/);
      assert.equal(sink.lines.length, 0);
    } finally {
      delete process.env.R2D_FAKE_ARGV_FILE;
    }
  });

  it(
    'on abort, stops the whole process group within seconds and rejects with the reason',
    { timeout: 20_000 },
    async () => {
      const sink = recorder();
      const controller = new AbortController();
      const running = fake('sleeper.mjs').run(
        localJob(),
        sink,
        controller.signal
      );
      let settled = false;
      running.then(
        () => (settled = true),
        () => (settled = true)
      );
      const [parent, child] = await waitFor(
        () => pidsFrom(sink.lines),
        5000,
        'the fake repo2docker to start'
      );
      try {
        assert.ok(isAlive(parent) && isAlive(child));
        await delay(100);
        assert.equal(settled, false);
        const reason = new Error('cancelled by alice');
        const started = Date.now();
        controller.abort(reason);
        await assert.rejects(running, error => error === reason);
        assert.ok(
          Date.now() - started < 4000,
          `took ${Date.now() - started} ms`
        );
        assert.ok(
          await waitGone(parent, 3000),
          `repo2docker (${parent}) is still running`
        );
        assert.ok(
          await waitGone(child, 3000),
          `its child (${child}) is still running`
        );
      } finally {
        cleanup([parent, child]);
      }
    }
  );

  it(
    'kills a process that ignores SIGTERM after the grace period',
    { timeout: 20_000 },
    async () => {
      process.env.R2D_FAKE_IGNORE_TERM = '1';
      const sink = recorder();
      const controller = new AbortController();
      let pids: [number, number] | undefined;
      try {
        const running = fake('sleeper.mjs', { killGraceMs: 300 }).run(
          localJob(),
          sink,
          controller.signal
        );
        pids = await waitFor(
          () => pidsFrom(sink.lines),
          5000,
          'the fake repo2docker to start'
        );
        await delay(100); // let it install its SIGTERM handler
        const started = Date.now();
        controller.abort(new Error('timeout'));
        await assert.rejects(running, /timeout/);
        const took = Date.now() - started;
        assert.ok(
          took >= 250,
          `stopped after ${took} ms, before the grace period`
        );
        assert.ok(took < 4000, `took ${took} ms`);
        assert.ok(await waitGone(pids[0], 3000));
        assert.ok(await waitGone(pids[1], 3000));
      } finally {
        delete process.env.R2D_FAKE_IGNORE_TERM;
        cleanup(pids ?? []);
      }
    }
  );

  it(
    'kills what repo2docker left running in its group once it exits',
    { timeout: 20_000 },
    async () => {
      const sink = recorder();
      await fake('leaves-child.mjs').run(
        localJob(),
        sink,
        new AbortController().signal
      );
      const pids = pidsFrom(sink.lines);
      assert.ok(pids, 'the script reported its pids');
      try {
        assert.ok(
          await waitGone(pids[1], 3000),
          `the leftover child (${pids[1]}) is still running`
        );
      } finally {
        cleanup(pids);
      }
    }
  );

  it('keeps the secret environment variables from repo2docker', async () => {
    const saved = { ...process.env };
    process.env.R2D_UNIT_SECRET_A = 'value-a-7f3e';
    process.env.REPO2DOCKER_SERVICE_SECRET = 'value-b-91c2';
    process.env.R2D_UNIT_VISIBLE = 'visible-123';
    // The service user's git settings must not reach repo2docker either.
    process.env.GIT_SSH_COMMAND = 'touch /tmp/r2d-unit-pwned';
    process.env.GIT_CONFIG_COUNT = '1';
    try {
      const sink = recorder();
      await fake('env.mjs', {
        secretEnv: ['R2D_UNIT_SECRET_A', 'REPO2DOCKER_SERVICE_SECRET']
      }).run(localJob(), sink, new AbortController().signal);
      const envLines = sink.lines.filter(l => l.message.startsWith('{'));
      assert.equal(envLines.length, 1);
      const childEnv = JSON.parse(envLines[0].message) as Record<
        string,
        string
      >;
      assert.notEqual(
        childEnv.HOME,
        process.env.HOME,
        'repo2docker has a HOME of its own'
      );
      assert.match(childEnv.HOME, /r2d-checkout-/);
      assert.equal(
        existsSync(childEnv.HOME),
        false,
        'and it is removed after the build'
      );
      assert.equal(childEnv.GIT_SSH_COMMAND, undefined);
      assert.equal(childEnv.GIT_CONFIG_COUNT, undefined);
      assert.equal(childEnv.GIT_CONFIG_NOSYSTEM, '1');
      assert.equal(childEnv.GIT_CONFIG_GLOBAL, '/dev/null');
      assert.equal(childEnv.GIT_ALLOW_PROTOCOL, 'https:http:git');
      assert.equal(
        childEnv.R2D_UNIT_VISIBLE,
        'visible-123',
        'the ordinary environment reaches repo2docker'
      );
      assert.equal(childEnv.PYTHONUNBUFFERED, '1');
      assert.equal('R2D_UNIT_SECRET_A' in childEnv, false);
      assert.equal('REPO2DOCKER_SERVICE_SECRET' in childEnv, false);
      assert.ok(!envLines[0].message.includes('value-a-7f3e'));
      assert.ok(!envLines[0].message.includes('value-b-91c2'));
      // The service's own environment is left as it was.
      assert.equal(process.env.R2D_UNIT_SECRET_A, 'value-a-7f3e');
    } finally {
      for (const key of [
        'R2D_UNIT_SECRET_A',
        'REPO2DOCKER_SERVICE_SECRET',
        'R2D_UNIT_VISIBLE',
        'GIT_SSH_COMMAND',
        'GIT_CONFIG_COUNT'
      ]) {
        if (key in saved) {
          process.env[key] = saved[key];
        } else {
          delete process.env[key];
        }
      }
    }
  });
});
