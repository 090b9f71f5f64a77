/**
 * The service fetches every repository itself, into a directory a build owns, and hands
 * repo2docker that checkout. Between the clone and the build it can then check what repo2docker
 * would otherwise follow blindly: a `subdir` that is a symlink to a host directory, or a config
 * file that is a symlink to a host file (repo2docker reads `Dockerfile`, `apt.txt`,
 * `environment.yml`, ... with the service user's rights and writes what it read into the image).
 *
 * git runs as argv with `--` before the URL, in the controlled environment of git-env.ts; the
 * submodules get the network transports only (never file, ssh or ext). A private repository's
 * credentials reach git only through git-credentials.ts (a helper fed from the environment).
 */
import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { BuildFailure } from './backend.js';
import {
  authFailureMessage,
  prepareCredentials,
  scrubber,
  type GitCredentials
} from './git-credentials.js';
import { gitConfigArgs, gitEnv, makeHome, removeDir } from './git-env.js';
import { LineSplitter } from './repo2docker-log.js';

export interface CheckoutOptions {
  git: string;
  /** The `file` transport for the top-level clone (local repositories allowed by the admin). */
  allowLocalRepos: boolean;
  /** Follow HTTP redirects (off when private addresses are refused). */
  followRedirects: boolean;
  /**
   * The host policy, asked again right before the clone: a queued build may start long after
   * its request was checked, and DNS may have changed since (builds/host-policy.ts).
   */
  checkHost?: (repo: string) => Promise<void>;
}

export interface CheckoutJob {
  repo: string;
  commit: string;
  subdir: string | null;
}

/** Receives git's output, one line at a time, for the build log. */
export type GitLine = (message: string) => void;

/** A checkout of one build; `dir` is the repository's root. `remove()` always, when done. */
export interface Checkout {
  dir: string;
  /** An empty HOME of this build's own (for git, and for repo2docker after it). */
  home: string;
  remove(): Promise<void>;
}

/** Is `path` inside (or equal to) `root`? Both absolute and resolved. */
function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return (
    rel === '' ||
    (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..')
  );
}

/**
 * Every component of `subdir` must be a real directory (no symlink on the way, lstat), and the
 * resolved path must be inside the checkout. Throws a BuildFailure naming `subdir`.
 */
export async function checkSubdir(
  root: string,
  subdir: string
): Promise<string> {
  const realRoot = await realpath(root);
  let current = realRoot;
  for (const part of subdir.split('/')) {
    if (part === '' || part === '.') {
      continue;
    }
    if (part === '..') {
      throw new BuildFailure(`subdir "${subdir}" must not contain ".."`);
    }
    current = join(current, part);
    const shown = relative(realRoot, current);
    let info;
    try {
      info = await lstat(current);
    } catch {
      throw new BuildFailure(
        `subdir "${subdir}" does not exist in the repository (no directory ${shown})`
      );
    }
    if (info.isSymbolicLink()) {
      throw new BuildFailure(
        `subdir "${subdir}" is not a real directory of the repository: ${shown} is a symbolic link`
      );
    }
    if (!info.isDirectory()) {
      throw new BuildFailure(
        `subdir "${subdir}" is not a directory of the repository: ${shown} is a file`
      );
    }
  }
  const resolved = await realpath(current);
  if (!inside(realRoot, resolved)) {
    throw new BuildFailure(`subdir "${subdir}" leads outside the repository`);
  }
  return resolved;
}

/**
 * Refuse any symlink in the checkout whose target resolves outside it, naming the first found.
 * Simplest sound rule: repo2docker reads many files by name (Dockerfile, environment.yml,
 * requirements.txt, apt.txt, runtime.txt, postBuild, start, ... in the root, `binder/` or
 * `.binder/`) and follows links as it opens them; BuildKit's `--file` does too. Checking only
 * today's list would miss tomorrow's buildpack. A link that stays inside the repository is fine.
 */
export async function checkSymlinks(root: string): Promise<void> {
  const realRoot = await realpath(root);
  const pending = [realRoot];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (dir === realRoot && entry.name === '.git') {
        continue; // git's own data; the build never reads it by name
      }
      if (entry.isDirectory()) {
        pending.push(path);
      } else if (entry.isSymbolicLink()) {
        const target = resolve(dirname(path), await readlink(path));
        let final: string;
        try {
          final = await realpath(target);
        } catch {
          final = target; // dangling: judge the path it names
        }
        if (!inside(realRoot, final)) {
          throw new BuildFailure(
            `the repository's ${relative(realRoot, path)} is a symbolic link to a path outside the repository, which is not built here`
          );
        }
      }
    }
  }
}

/** Whether anything (a file, a link, a directory) has this name. */
const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false
  );

/** Run one git command in `cwd`, its lines to `onLine`; killed (its whole group) on abort. */
function runGit(
  options: CheckoutOptions,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  onLine: GitLine,
  signal: AbortSignal
): Promise<{ code: number | null; lastLine: string }> {
  signal.throwIfAborted();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      options.git,
      [...gitConfigArgs({ followRedirects: options.followRedirects }), ...args],
      {
        cwd,
        env,
        detached: true, // own process group: git-remote-https and fetch-pack die with it
        stdio: ['ignore', 'pipe', 'pipe']
      }
    );
    let lastLine = '';
    const handle = (line: string): void => {
      // git rewrites progress lines with \r; only their last state is worth a log line.
      const text =
        line
          .split('\r')
          .filter(part => part.trim() !== '')
          .pop()
          ?.trimEnd() ?? '';
      if (text !== '') {
        // git's first fatal line says why; what follows ("Failed to clone ... a second time") does not.
        if (!lastLine.startsWith('fatal:')) {
          lastLine = text;
        }
        onLine(text);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const splitter = new LineSplitter();
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) =>
        splitter.push(chunk).forEach(handle)
      );
      stream.on('end', () => splitter.flush().forEach(handle));
    }
    const kill = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    child.once('error', error => {
      signal.removeEventListener('abort', kill);
      reject(
        new BuildFailure(`could not run git (${options.git}): ${error.message}`)
      );
    });
    child.once('close', code => {
      signal.removeEventListener('abort', kill);
      kill(); // anything git left in its group
      if (signal.aborted) {
        reject(signal.reason);
      } else {
        resolvePromise({ code, lastLine });
      }
    });
  });
}

/**
 * Clone `job.repo` at exactly `job.commit` (detached), with its submodules, into a new temporary
 * directory, then check `subdir` and symlinks. On any failure or abort the directory is removed
 * before this rejects. `credentials`, for a private repository, go to git for the repository's
 * own host only (submodules on it too), and are scrubbed from every line git prints.
 */
export async function checkout(
  options: CheckoutOptions,
  job: CheckoutJob,
  onLine: GitLine,
  signal: AbortSignal,
  credentials?: GitCredentials
): Promise<Checkout> {
  signal.throwIfAborted();
  const base = await makeHome('r2d-checkout-');
  const home = join(base, 'home');
  const dir = join(base, 'repo');
  const remove = (): Promise<void> => removeDir(base);
  try {
    await mkdir(home);
    // The helper lives in `base`, beside the checkout: no part of the build context.
    const auth = credentials
      ? await prepareCredentials(base, job.repo, credentials)
      : null;
    const pre = auth?.configArgs ?? [];
    const scrub = scrubber(credentials);
    const say: GitLine = message => onLine(scrub(message));
    const topEnv = {
      ...gitEnv({ home, allowFile: options.allowLocalRepos }),
      ...auth?.env
    };
    const subEnv = { ...gitEnv({ home, allowFile: false }), ...auth?.env };
    const git = async (
      args: string[],
      env: NodeJS.ProcessEnv,
      what: string,
      cwd = dir
    ): Promise<void> => {
      const { code, lastLine } = await runGit(
        options,
        [...pre, ...args],
        cwd,
        env,
        say,
        signal
      );
      if (code !== 0) {
        const line = scrub(lastLine);
        throw new BuildFailure(
          authFailureMessage(line, job.repo) ??
            `${what} failed${line ? `: ${line}` : ` (git exit code ${code})`}`
        );
      }
    };
    if (options.checkHost) {
      try {
        await options.checkHost(job.repo);
      } catch (error) {
        throw new BuildFailure((error as Error).message);
      }
    }
    say(`Fetching ${job.repo} at ${job.commit}`);
    await git(
      ['clone', '--no-checkout', '--', job.repo, dir],
      topEnv,
      `cloning ${job.repo}`,
      base
    );
    // The commit may be on a ref a clone does not fetch (a pull request's head): ask for it.
    const has = await runGit(
      options,
      [...pre, 'cat-file', '-e', `${job.commit}^{commit}`],
      dir,
      topEnv,
      () => undefined,
      signal
    );
    if (has.code !== 0) {
      await git(
        ['fetch', '--quiet', 'origin', job.commit],
        topEnv,
        `fetching commit ${job.commit}`
      );
    }
    await git(
      ['checkout', '--quiet', '--detach', job.commit],
      topEnv,
      `checking out ${job.commit}`
    );
    // Submodules: network transports only (GIT_ALLOW_PROTOCOL of subEnv), also for nested ones.
    // Without a .gitmodules there are none to init, and `git submodule` (a shell script that
    // starts several processes) would cost the build tens of milliseconds for nothing.
    if (await exists(join(dir, '.gitmodules'))) {
      await git(
        ['submodule', 'update', '--init', '--recursive'],
        subEnv,
        'fetching the submodules'
      );
    }
    if (job.subdir) {
      await checkSubdir(dir, job.subdir);
    }
    await checkSymlinks(dir);
    return { dir, home, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
