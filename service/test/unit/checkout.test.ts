/**
 * The service's own fetch (backends/checkout.ts) with the real git on local repositories made
 * here: the exact commit, submodule transports, the subdir and symlink checks, cancel and cleanup.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
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
import { after, before, beforeEach, describe, it } from 'node:test';
import { BuildFailure } from '../../src/backends/backend.js';
import { commitTree, git } from '../helpers/git-repo.js';
import {
  checkout,
  checkSubdir,
  checkSymlinks,
  type CheckoutOptions
} from '../../src/backends/checkout.js';

let root = '';
/** Where this file's checkouts go (TMPDIR), so that leftovers can be counted. */
let scratch = '';
const savedTmp = process.env.TMPDIR;

/** A repository with `files` committed; returns its directory and commit. */
const makeRepo = (
  name: string,
  files: Record<string, string>,
  links: Record<string, string> = {}
) => commitTree(join(root, name), files, links);

const OPTIONS: CheckoutOptions = {
  git: 'git',
  allowLocalRepos: true,
  followRedirects: false
};
const never = new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a failure'),
    (error: Error) => error
  );
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'r2d-checkout-test-'));
  scratch = join(root, 'tmp');
  mkdirSync(scratch);
  process.env.TMPDIR = scratch;
});

after(() => {
  if (savedTmp === undefined) {
    delete process.env.TMPDIR;
  } else {
    process.env.TMPDIR = savedTmp;
  }
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  assert.deepEqual(
    readdirSync(scratch),
    [],
    'an earlier test left a checkout behind'
  );
});

describe('checkout', () => {
  it('checks out exactly the commit asked for, detached, and removes it on remove()', async () => {
    const { dir, commit: first } = makeRepo('two-commits', {
      'file.txt': 'first\n'
    });
    writeFileSync(join(dir, 'file.txt'), 'second\n');
    git(dir, 'commit', '-q', '-am', 'second');
    const lines: string[] = [];
    const fetched = await checkout(
      OPTIONS,
      { repo: `file://${dir}`, commit: first, subdir: null },
      line => lines.push(line),
      never
    );
    try {
      assert.equal(
        readFileSync(join(fetched.dir, 'file.txt'), 'utf8'),
        'first\n'
      );
      assert.equal(git(fetched.dir, 'rev-parse', 'HEAD'), first);
      assert.equal(
        git(fetched.dir, 'rev-parse', '--abbrev-ref', 'HEAD'),
        'HEAD',
        'detached'
      );
      assert.match(
        lines[0],
        new RegExp(`^Fetching file://${dir} at ${first}$`)
      );
      assert.ok(
        lines.some(line => line.startsWith('Cloning into')),
        lines.join('\n')
      );
      assert.deepEqual(
        readdirSync(fetched.home),
        [],
        'git wrote nothing into its HOME'
      );
    } finally {
      await fetched.remove();
    }
    assert.equal(existsSync(fetched.dir), false);
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('fetches a commit that no branch or tag holds (a pull request head)', async () => {
    const { dir } = makeRepo('pull-head', { 'a.txt': 'a\n' });
    git(dir, 'checkout', '-q', '-b', 'topic');
    writeFileSync(join(dir, 'a.txt'), 'topic\n');
    git(dir, 'commit', '-q', '-am', 'topic');
    const topic = git(dir, 'rev-parse', 'HEAD');
    git(dir, 'update-ref', 'refs/pull/1/head', topic);
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'branch', '-q', '-D', 'topic');
    const fetched = await checkout(
      OPTIONS,
      { repo: `file://${dir}`, commit: topic, subdir: null },
      () => undefined,
      never
    );
    try {
      assert.equal(readFileSync(join(fetched.dir, 'a.txt'), 'utf8'), 'topic\n');
    } finally {
      await fetched.remove();
    }
  });

  it('refuses the file transport for the top-level clone unless local repositories are allowed', async () => {
    const { dir, commit } = makeRepo('no-local', { 'a.txt': 'a\n' });
    const error = await failure(
      checkout(
        { ...OPTIONS, allowLocalRepos: false },
        { repo: `file://${dir}`, commit, subdir: null },
        () => undefined,
        never
      )
    );
    assert.ok(error instanceof BuildFailure);
    assert.match(error.message, /transport 'file' not allowed/);
    assert.deepEqual(
      readdirSync(scratch),
      [],
      'the failed checkout is removed'
    );
  });

  it('runs git submodule only for a commit that has a .gitmodules', async () => {
    // A git that notes its arguments, then runs the real one.
    const log = join(root, 'git-argv.log');
    const wrapper = join(root, 'git-recording');
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec git "$@"\n`);
    chmodSync(wrapper, 0o755);
    const ran = async (files: Record<string, string>, name: string) => {
      rmSync(log, { force: true });
      const { dir, commit } = makeRepo(name, files);
      const fetched = await checkout(
        { ...OPTIONS, git: wrapper },
        { repo: `file://${dir}`, commit, subdir: null },
        () => undefined,
        never
      );
      await fetched.remove();
      return readFileSync(log, 'utf8');
    };
    const without = await ran({ 'README.md': 'x\n' }, 'no-gitmodules');
    assert.match(without, /\bcheckout\b/);
    assert.doesNotMatch(without, / submodule /);
    const withFile = await ran(
      { 'README.md': 'x\n', '.gitmodules': '# none yet\n' },
      'empty-gitmodules'
    );
    assert.match(withFile, /\bsubmodule update --init --recursive\b/);
  });

  it('never fetches a submodule over file:// or ext::, even when local repositories are allowed', async () => {
    const sub = makeRepo('sub', { 'secret-of-sub.txt': 'sub\n' });
    const pwned = join(root, 'pwned-by-ext');
    for (const [name, url] of [
      ['super-file', `file://${sub.dir}`],
      ['super-path', sub.dir],
      ['super-ext', `ext::sh -c touch% ${pwned}`]
    ]) {
      const superRepo = makeRepo(name, { 'README.md': 'super\n' });
      writeFileSync(
        join(superRepo.dir, '.gitmodules'),
        `[submodule "sub"]\n\tpath = sub\n\turl = ${url}\n`
      );
      git(
        superRepo.dir,
        'update-index',
        '--add',
        '--cacheinfo',
        `160000,${sub.commit},sub`
      );
      git(superRepo.dir, 'add', '.gitmodules');
      git(superRepo.dir, 'commit', '-q', '-m', 'add submodule');
      const commit = git(superRepo.dir, 'rev-parse', 'HEAD');
      const lines: string[] = [];
      const error = await failure(
        checkout(
          OPTIONS,
          { repo: `file://${superRepo.dir}`, commit, subdir: null },
          line => lines.push(line),
          never
        )
      );
      assert.ok(error instanceof BuildFailure, String(error));
      assert.match(
        error.message,
        /^fetching the submodules failed: .*transport '(file|ext)' not allowed/,
        `${name}: ${error.message}`
      );
      assert.ok(!lines.some(line => line.includes('secret-of-sub')), name);
      assert.deepEqual(
        readdirSync(scratch),
        [],
        `${name}: the checkout is removed`
      );
    }
    assert.equal(existsSync(pwned), false, 'ext:: ran a command');
  });

  it('fails naming subdir when a component of it is a symlink, even one pointing inside', async () => {
    const outside = join(root, 'host-dir');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'host secret\n');
    const { dir, commit } = makeRepo(
      'linked-subdir',
      { 'real/Dockerfile': 'FROM scratch\n' },
      { env: outside, inner: 'real', 'real/deeper': '../real' }
    );
    for (const subdir of ['env', 'inner', 'real/deeper', 'env/x']) {
      const error = await failure(
        checkout(
          OPTIONS,
          { repo: `file://${dir}`, commit, subdir },
          () => undefined,
          never
        )
      );
      assert.ok(error instanceof BuildFailure);
      assert.match(
        error.message,
        /^subdir ".*" is not a real directory of the repository: .* is a symbolic link$/,
        error.message
      );
      assert.deepEqual(readdirSync(scratch), []);
    }
  });

  it('fails naming subdir when it is missing or a file', async () => {
    const { dir, commit } = makeRepo('plain-subdir', {
      'real/Dockerfile': 'FROM scratch\n',
      'file.txt': 'x'
    });
    const missing = await failure(
      checkout(
        OPTIONS,
        { repo: `file://${dir}`, commit, subdir: 'nope' },
        () => undefined,
        never
      )
    );
    assert.match(missing.message, /^subdir "nope" does not exist/);
    const file = await failure(
      checkout(
        OPTIONS,
        { repo: `file://${dir}`, commit, subdir: 'file.txt' },
        () => undefined,
        never
      )
    );
    assert.match(file.message, /^subdir "file.txt" is not a directory/);
    const fetched = await checkout(
      OPTIONS,
      { repo: `file://${dir}`, commit, subdir: 'real' },
      () => undefined,
      never
    );
    await fetched.remove();
  });

  it('fails naming the path when a symlink leads outside the checkout; links inside are fine', async () => {
    const outside = join(root, 'host-file');
    writeFileSync(outside, 'host secret\n');
    const inside = makeRepo(
      'links-inside',
      { 'binder/requirements.txt': 'x\n' },
      { 'requirements.txt': 'binder/requirements.txt', 'binder/up': '..' }
    );
    const fetched = await checkout(
      OPTIONS,
      { repo: `file://${inside.dir}`, commit: inside.commit, subdir: null },
      () => undefined,
      never
    );
    await fetched.remove();
    for (const [name, target] of [
      ['abs-link', outside],
      ['rel-link', '../../../../../../../../../../..' + outside],
      ['dangling', '/nonexistent/r2d-target'],
      ['etc', '/etc']
    ]) {
      const { dir, commit } = makeRepo(
        name,
        { 'README.md': 'x' },
        { 'binder/apt.txt': target }
      );
      const error = await failure(
        checkout(
          OPTIONS,
          { repo: `file://${dir}`, commit, subdir: null },
          () => undefined,
          never
        )
      );
      assert.ok(error instanceof BuildFailure);
      assert.equal(
        error.message,
        "the repository's binder/apt.txt is a symbolic link to a path outside the repository, which is not built here"
      );
    }
    assert.deepEqual(readdirSync(scratch), []);
  });

  it('asks the host policy again before the clone; a refusal fails the build before git runs', async () => {
    const { dir, commit } = makeRepo('policy', { 'a.txt': 'a\n' });
    const lines: string[] = [];
    const asked: string[] = [];
    const checkHost = async (repo: string): Promise<void> => {
      asked.push(repo);
      throw new Error(
        "the repository's host resolves to a private or local address now"
      );
    };
    const error = await failure(
      checkout(
        { ...OPTIONS, checkHost },
        { repo: `file://${dir}`, commit, subdir: null },
        line => lines.push(line),
        never
      )
    );
    assert.ok(error instanceof BuildFailure);
    assert.match(error.message, /private or local address now/);
    assert.deepEqual(asked, [`file://${dir}`]);
    assert.deepEqual(lines, [], 'git never ran');
    assert.deepEqual(readdirSync(scratch), []);
  });

  it(
    'stops git at once on abort, rejects with the reason, and removes the checkout',
    { timeout: 20_000 },
    async () => {
      const { dir, commit } = makeRepo('slow', { 'a.txt': 'a\n' });
      // A git that hangs (as a stalled server would), then would go on to the real one.
      const slowGit = join(root, 'slow-git.sh');
      writeFileSync(slowGit, '#!/bin/sh\nsleep 30\nexec git "$@"\n');
      chmodSync(slowGit, 0o755);
      const controller = new AbortController();
      const reason = new Error('cancelled by alice');
      const running = checkout(
        { ...OPTIONS, git: slowGit },
        { repo: `file://${dir}`, commit, subdir: null },
        () => undefined,
        controller.signal
      );
      await new Promise(resolve => setTimeout(resolve, 300));
      const started = Date.now();
      controller.abort(reason);
      await assert.rejects(running, error => error === reason);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
      assert.deepEqual(readdirSync(scratch), []);
    }
  );
});

describe('checkSubdir and checkSymlinks on a plain directory', () => {
  it('accepts real directories and resolves them inside the root', async () => {
    const dir = mkdtempSync(join(root, 'plain-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    assert.equal(await checkSubdir(dir, 'a/b'), join(dir, 'a', 'b'));
    assert.equal(await checkSubdir(dir, './a/'), join(dir, 'a'));
    await checkSymlinks(dir);
  });
});
