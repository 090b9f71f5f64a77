/**
 * One repo2docker run against the Docker engine DOCKER_HOST names, into the tag it is given
 * (local-repo2docker.ts names, retags, pushes and cleans up around it). The service fetches the
 * repository itself first (checkout.ts: controlled git, subdir and symlink checks) and gives
 * repo2docker the local checkout. repo2docker is started as argv (never a shell), in its own
 * process group so that cancelling also stops the `docker buildx build` it runs; its JSON log
 * lines arrive on stderr. Once it is done, the image's labels are checked against ours.
 */
import type { BuildPhase } from '../api/contract.js';
import { startSupervisor, type PendingSupervisor } from './supervise.js';
import { BuildFailure, type BuildSink } from './backend.js';
import { checkout, checkSymlinks, type Checkout } from './checkout.js';
import type { GitCredentials } from './git-credentials.js';
import { gitEnv, makeHome, removeDir } from './git-env.js';
import { LineSplitter, parseRepo2DockerLine } from './repo2docker-log.js';

/** What one run makes: `image` with `labels`, from `repo` at `commit`. */
export interface Repo2DockerJob {
  buildId: string;
  repo: string;
  commit: string;
  subdir: string | null;
  /** The tag repo2docker builds into. */
  image: string;
  labels: Record<string, string>;
  push: boolean;
  /** Docker build arguments, given as `--build-arg=NAME=value` argv (validate.ts checked them). */
  buildArgs?: Record<string, string>;
  /** For the checkout's git only; repo2docker never sees them (it builds the local checkout). */
  credentials?: GitCredentials;
  /** Build this unpacked upload (its owner removes it) instead of a checkout of `repo`. */
  folder?: { dir: string };
}

/** What the local backend needs of a run; the fake in its unit tests implements it too. */
export interface Repo2DockerRunner {
  run(job: Repo2DockerJob, sink: BuildSink, signal: AbortSignal): Promise<void>;
}

export interface Repo2DockerOptions {
  command: string[];
  configFile: string | null;
  userId: number;
  userName: string;
  /** Environment variables that must not reach repo2docker (the service's own secrets). */
  secretEnv: string[];
  /** The git executable that fetches repositories. Default "git". */
  git?: string;
  /** Local repositories allowed (the `file` transport for the top-level clone). */
  allowLocalRepos?: boolean;
  /** Let git follow HTTP redirects (off when private addresses are refused). Default true. */
  followRedirects?: boolean;
  /** The host policy, asked again before the clone (HostPolicy.check in the service). */
  checkHost?: (repo: string) => Promise<void>;
  /**
   * Checks the built image's labels are exactly ours; rejects (having removed the image) when
   * not. verifyLabels (local-repo2docker.ts) in the service.
   */
  verifyLabels?: (
    image: string,
    expected: Record<string, string>
  ) => Promise<void>;
  /** Grace period between SIGTERM and SIGKILL on cancel. */
  killGraceMs?: number;
  /** Receives repo2docker's tracebacks, for operators. */
  onTraceback?: (buildId: string, traceback: string) => void;
}

/**
 * repo2docker's argv for a job built from the local checkout `dir`; exported for tests. Every
 * user value comes after its option. No `--ref`: the checkout is at the commit already, and
 * repo2docker's local-directory provider has nothing to check out.
 */
export function repo2dockerArgs(
  job: Repo2DockerJob,
  options: Repo2DockerOptions,
  dir: string
): string[] {
  const args = [
    ...options.command.slice(1),
    '--no-run',
    '--json-logs',
    '--user-id',
    String(options.userId),
    '--user-name',
    options.userName,
    '--image-name',
    job.image
  ];
  if (options.configFile) {
    args.push('--config', options.configFile);
  }
  if (job.subdir) {
    args.push('--subdir', job.subdir);
  }
  if (job.push) {
    args.push('--push');
  }
  for (const [key, value] of Object.entries(job.labels)) {
    args.push('--label', `${key}=${value}`);
  }
  // One argv element each, `=` joined to the option: a value beginning with "-" cannot be read
  // as an option by repo2docker's argparse; repo2docker hands them to buildx as argv too.
  for (const [name, value] of Object.entries(job.buildArgs ?? {})) {
    args.push(`--build-arg=${name}=${value}`);
  }
  // `--` ends the options: the checkout's path is never read as one.
  args.push('--', dir);
  return args;
}

/**
 * An uploaded folder as a checkout: repo2docker builds the directory as it is (no git), with a
 * HOME of this build's own. The unpacker refused links out of it; they are checked once more as
 * for any checkout, since repo2docker follows what it reads by name. `remove()` removes only the
 * HOME: the upload's directory is its owner's (the manager removes it when the build ends).
 */
async function uploadedFolder(dir: string, sink: BuildSink): Promise<Checkout> {
  const home = await makeHome('r2d-upload-home-');
  try {
    sink.line('fetching', 'Building the uploaded folder (no git)', null);
    await checkSymlinks(dir);
  } catch (error) {
    await removeDir(home);
    throw error;
  }
  return { dir, home, remove: () => removeDir(home) };
}

export class Repo2DockerRun implements Repo2DockerRunner {
  constructor(private readonly options: Repo2DockerOptions) {}

  async run(
    job: Repo2DockerJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<void> {
    signal.throwIfAborted();
    // Node starts while git fetches: the supervisor costs the build nothing it waits on.
    const supervisor = startSupervisor();
    let fetched: Checkout;
    try {
      fetched = job.folder
        ? await uploadedFolder(job.folder.dir, sink)
        : await this.fetch(job, sink, signal);
    } catch (error) {
      supervisor.discard();
      throw error;
    }
    try {
      await this.build(job, fetched, supervisor, sink, signal);
    } finally {
      await fetched.remove(); // always: built, failed or cancelled
    }
    await this.options.verifyLabels?.(job.image, job.labels);
  }

  private fetch(
    job: Repo2DockerJob,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<Checkout> {
    return checkout(
      {
        git: this.options.git ?? 'git',
        allowLocalRepos: this.options.allowLocalRepos ?? false,
        followRedirects: this.options.followRedirects ?? true,
        checkHost: this.options.checkHost
      },
      job,
      message => sink.line('fetching', message, null),
      signal,
      job.credentials
    );
  }

  /** The environment of repo2docker: the service's, without secrets or git settings, HOME its own. */
  private environment(home: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
    for (const name of this.options.secretEnv) {
      delete env[name];
    }
    for (const name of Object.keys(env)) {
      if (
        name.startsWith('GIT_') ||
        name === 'SSH_AUTH_SOCK' ||
        name === 'DOCKER_CONFIG'
      ) {
        delete env[name];
      }
    }
    // The git settings too (repo2docker's buildpacks may run git), and a HOME of this build's own:
    // neither the service user's ~/.docker/config.json (registry credentials) nor its git config.
    const { PATH: _path, ...git } = gitEnv({ home, allowFile: false });
    return { ...env, ...git };
  }

  private async build(
    job: Repo2DockerJob,
    fetched: Checkout,
    supervisor: PendingSupervisor,
    sink: BuildSink,
    signal: AbortSignal
  ): Promise<void> {
    if (signal.aborted) {
      supervisor.discard();
      signal.throwIfAborted();
    }
    const env = this.environment(fetched.home);
    // Under a supervisor leading its own process group: kill(-pid) reaches buildx too, and the
    // whole group dies with the service, even when it is SIGKILLed (backends/supervise.ts).
    const child = supervisor.run(
      this.options.command[0],
      repo2dockerArgs(job, this.options, fetched.dir),
      { env }
    );
    let lastFailure: string | null = null;
    let phase: BuildPhase = 'fetching';
    const handle = (raw: string): void => {
      const parsed = parseRepo2DockerLine(raw);
      if (!parsed) {
        return;
      }
      if (parsed.traceback) {
        this.options.onTraceback?.(job.buildId, parsed.traceback);
      }
      if (parsed.phase === 'failed') {
        lastFailure = parsed.message;
      } else if (parsed.phase && parsed.phase !== 'built') {
        phase = parsed.phase;
      }
      // Only the manager decides when a build is final; repo2docker's own verdict is its exit code.
      sink.line(phase, parsed.message, parsed.progress);
    };
    for (const stream of [child.stdout, child.stderr]) {
      const splitter = new LineSplitter();
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) =>
        splitter.push(chunk).forEach(handle)
      );
      stream.on('end', () => splitter.flush().forEach(handle));
    }

    const onAbort = (): void => this.stop(child.pid);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const [code, exitSignal] = await new Promise<
        [number | null, NodeJS.Signals | null]
      >((resolve, reject) => {
        child.once('error', error =>
          reject(
            new BuildFailure(
              `could not start repo2docker (${this.options.command[0]}): ${error.message}`
            )
          )
        );
        child.once('close', (exitCode, closeSignal) =>
          resolve([exitCode, closeSignal])
        );
      });
      signal.throwIfAborted();
      if (code !== 0) {
        throw new BuildFailure(
          lastFailure ??
            `repo2docker stopped with ${exitSignal ?? `exit code ${code}`}`
        );
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.stop(child.pid, true);
    }
  }

  /** SIGTERM the process group, then SIGKILL after the grace period. */
  private stop(pid: number | undefined, quietly = false): void {
    if (pid === undefined) {
      return;
    }
    const kill = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        // The group is gone already.
      }
    };
    if (quietly) {
      kill('SIGKILL'); // anything left of the group once repo2docker itself has exited
      return;
    }
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), this.options.killGraceMs ?? 5000).unref();
  }
}
