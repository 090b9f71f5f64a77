/**
 * One build's git credentials (backends/git-credentials.ts): what may be credentials for which
 * URL, the helper script run for real (hostile values stay data), the scoping checked with the
 * real git's own `git credential fill` (offline: no server needed), the failure messages and
 * the scrubber.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  HELPER_NAME,
  HOST_VAR,
  PASSWORD_VAR,
  PROTOCOL_VAR,
  USERNAME_VAR,
  authFailureMessage,
  credentialScope,
  credentialsProblem,
  prepareCredentials,
  scrubber
} from '../../src/backends/git-credentials.js';
import { gitConfigArgs, gitEnv } from '../../src/backends/git-env.js';

let root = '';
// Every shell-meaningful character, a printf format and quotes: the helper must hand it on as is.
const HOSTILE = `p$(touch PWNED)\`touch PWNED2\`'";|&*%s%n\\x41 $HOME`;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'r2d-git-credentials-test-'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('credentialsProblem', () => {
  const ok = { username: 'alice', password: 'ghp_token' };

  it('takes https URLs, and plain http only to a loopback host', () => {
    assert.equal(credentialsProblem('https://github.com/a/b', ok), null);
    assert.equal(
      credentialsProblem('http://127.0.0.1:8080/private/x.git', ok),
      null
    );
    assert.equal(credentialsProblem('http://localhost/x.git', ok), null);
    assert.equal(credentialsProblem('http://[::1]:9/x.git', ok), null);
    for (const repo of [
      'http://example.org/a/b',
      'http://127.0.0.1.example.org/x',
      'git://github.com/a/b',
      'file:///tmp/x'
    ]) {
      assert.equal(credentialsProblem(repo, ok)?.field, 'repo', repo);
    }
  });

  it('refuses credentials inside the URL, which would land in argv, labels and .git/config', () => {
    const problem = credentialsProblem('https://alice:tok@github.com/a/b', ok);
    assert.equal(problem?.field, 'repo');
    assert.match(problem!.message, /not inside the repository URL/);
  });

  it('names the field of every bad value', () => {
    const cases: [unknown, string][] = [
      [null, 'credentials'],
      ['alice:tok', 'credentials'],
      [[], 'credentials'],
      [{ username: 'alice' }, 'credentials.password'],
      [{ password: 'x' }, 'credentials.username'],
      [{ username: '', password: 'x' }, 'credentials.username'],
      [{ username: 'a', password: 7 }, 'credentials.password'],
      [
        { username: 'a', password: 'x\nhost=evil.example' },
        'credentials.password'
      ],
      [{ username: 'a\u0000', password: 'x' }, 'credentials.username'],
      [{ username: 'a', password: 'x'.repeat(4097) }, 'credentials.password'],
      [{ username: 'a'.repeat(257), password: 'x' }, 'credentials.username'],
      [{ username: 'a', password: 'x', token: 'y' }, 'credentials.token']
    ];
    for (const [value, field] of cases) {
      assert.equal(
        credentialsProblem('https://github.com/a/b', value)?.field,
        field,
        JSON.stringify(value)
      );
    }
    assert.equal(
      credentialsProblem('https://github.com/a/b', {
        username: 'a',
        password: 'x'.repeat(4096)
      }),
      null
    );
  });
});

describe('credentialScope', () => {
  it('is scheme, host and port, without path', () => {
    assert.deepEqual(credentialScope('http://127.0.0.1:8123/private/x.git'), {
      protocol: 'http',
      host: '127.0.0.1:8123',
      scope: 'http://127.0.0.1:8123'
    });
    assert.equal(
      credentialScope('https://github.com:443/a/b').scope,
      'https://github.com'
    );
  });
});

describe('prepareCredentials and the helper it writes', () => {
  const repo = 'http://127.0.0.1:8123/private/x.git';

  async function prepared(name: string, password = HOSTILE) {
    const dir = join(root, name);
    mkdirSync(dir, { mode: 0o700 });
    const setup = await prepareCredentials(dir, repo, {
      username: 'alice',
      password
    });
    return { dir, setup, helper: join(dir, HELPER_NAME) };
  }

  /** Run the helper as git does (`sh -c "<helper> get"`), the request on stdin. */
  function ask(
    helper: string,
    env: Record<string, string>,
    request: string,
    operation = 'get'
  ): string {
    const result = spawnSync('sh', ['-c', `${helper} ${operation}`], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
      input: request,
      encoding: 'utf8'
    });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  }

  it('puts the secret in the environment only: not in the -c options, not in the helper file', async () => {
    const { setup, helper } = await prepared('files');
    assert.deepEqual(setup.configArgs, [
      '-c',
      `credential.http://127.0.0.1:8123.helper=${helper}`
    ]);
    assert.equal(setup.env[PASSWORD_VAR], HOSTILE);
    assert.equal(setup.env[USERNAME_VAR], 'alice');
    assert.equal(setup.env[HOST_VAR], '127.0.0.1:8123');
    assert.equal(setup.env[PROTOCOL_VAR], 'http');
    assert.ok(
      !setup.configArgs.join(' ').includes('p$(touch'),
      'no secret in argv'
    );
    assert.ok(
      !readFileSync(helper, 'utf8').includes('p$(touch'),
      'no secret in the helper'
    );
    assert.equal(statSync(helper).mode & 0o777, 0o700);
  });

  it('the helper prints hostile values exactly and runs none of them', async () => {
    const { setup, helper } = await prepared('hostile');
    const out = ask(
      helper,
      setup.env,
      'protocol=http\nhost=127.0.0.1:8123\n\n'
    );
    assert.equal(out, `username=alice\npassword=${HOSTILE}\n`);
    assert.equal(existsSync(join(root, 'PWNED')), false);
    assert.equal(existsSync(join(root, 'PWNED2')), false);
  });

  it('the helper answers nothing for another host, scheme or port, nor for store and erase', async () => {
    const { setup, helper } = await prepared('scoped', 'tok');
    for (const request of [
      'protocol=http\nhost=evil.example\n\n',
      'protocol=https\nhost=127.0.0.1:8123\n\n',
      'protocol=http\nhost=127.0.0.1:8124\n\n',
      'protocol=http\nhost=127.0.0.1:8123.evil\n\n',
      ''
    ]) {
      assert.equal(
        ask(helper, setup.env, request),
        '',
        JSON.stringify(request)
      );
    }
    assert.equal(
      ask(helper, setup.env, 'protocol=http\nhost=127.0.0.1:8123\n\n', 'store'),
      ''
    );
    assert.equal(
      ask(helper, setup.env, 'protocol=http\nhost=127.0.0.1:8123\n\n', 'erase'),
      ''
    );
  });

  it('refuses a directory git could not run a helper from unquoted, and bad credentials', async () => {
    const spaced = join(root, 'with space');
    mkdirSync(spaced);
    await assert.rejects(
      prepareCredentials(spaced, repo, { username: 'a', password: 'b' }),
      /characters git cannot run/
    );
    await assert.rejects(
      prepareCredentials(root, 'http://example.org/x', {
        username: 'a',
        password: 'b'
      }),
      /https/
    );
  });

  it('real git (`git credential fill`) gets them for the repository host only, after the reset of every other helper', async () => {
    const { dir, setup } = await prepared('fill', HOSTILE);
    const home = join(dir, 'home');
    mkdirSync(home);
    const env = { ...gitEnv({ home }), ...setup.env };
    const fill = (url: string): { status: number | null; stdout: string } =>
      spawnSync(
        'git',
        [
          ...gitConfigArgs({ followRedirects: false }),
          ...setup.configArgs,
          'credential',
          'fill'
        ],
        {
          env,
          input: `url=${url}\n\n`,
          encoding: 'utf8'
        }
      );
    const own = fill('http://127.0.0.1:8123/private/x.git');
    assert.equal(own.status, 0);
    assert.match(own.stdout, /^username=alice$/m);
    assert.ok(own.stdout.includes(`password=${HOSTILE}\n`));
    // Same host, other scheme or port; other hosts: git finds no helper and, with prompts
    // disabled, fails at once instead of asking.
    for (const url of [
      'https://127.0.0.1:8123/x.git',
      'http://127.0.0.1:8124/x.git',
      'http://localhost:8123/x.git',
      'https://github.com/a/b'
    ]) {
      const other = fill(url);
      assert.notEqual(other.status, 0, url);
      assert.ok(!other.stdout.includes('password='), url);
    }
    // git's own scoping, without the helper's check: a helper told to answer for github.com is
    // still never run for it, since it is configured for http://127.0.0.1:8123 only.
    env[HOST_VAR] = 'github.com';
    env[PROTOCOL_VAR] = 'https';
    const unscoped = fill('https://github.com/a/b');
    assert.notEqual(unscoped.status, 0);
    assert.ok(!unscoped.stdout.includes('password='));
  });
});

describe('authFailureMessage', () => {
  const repo = 'http://127.0.0.1:8123/private/x.git';

  it('names the host for a refused credential and for a missing one', () => {
    assert.equal(
      authFailureMessage(
        "fatal: Authentication failed for 'http://127.0.0.1:8123/private/x.git/'",
        repo
      ),
      'authentication failed for 127.0.0.1:8123'
    );
    assert.match(
      authFailureMessage(
        "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
        repo
      )!,
      /^authentication required for github\.com: /
    );
  });

  it('leaves every other failure alone', () => {
    assert.equal(
      authFailureMessage(
        "fatal: repository 'http://127.0.0.1:8123/x.git/' not found",
        repo
      ),
      null
    );
    assert.equal(
      authFailureMessage('fatal: unable to access ... error: 403', repo),
      null
    );
  });
});

describe('scrubber', () => {
  it('replaces the secret, its URL-encoded and its Basic-auth forms', () => {
    const credentials = { username: 'al ice', password: 'p@ss/w rd' };
    const scrub = scrubber(credentials);
    const basic = Buffer.from('al ice:p@ss/w rd').toString('base64');
    const text = `a p@ss/w rd b ${encodeURIComponent('p@ss/w rd')} c Basic ${basic} d`;
    const out = scrub(text);
    assert.equal(out, 'a *** b *** c Basic *** d');
    assert.equal(scrubber(undefined)(text), text);
  });
});

// The helper is plain POSIX sh: make sure Debian's dash (what `sh` is here) parses it.
describe('helper syntax', () => {
  it('passes sh -n', async () => {
    const dir = join(root, 'syntax');
    mkdirSync(dir);
    await prepareCredentials(dir, 'https://github.com/a/b', {
      username: 'a',
      password: 'b'
    });
    execFileSync('sh', ['-n', join(dir, HELPER_NAME)]);
  });
});
