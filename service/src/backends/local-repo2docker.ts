/**
 * Builds with repo2docker against the Docker engine DOCKER_HOST names. repo2docker is started as
 * argv (never a shell), in its own process group so that cancelling also stops the
 * `docker buildx build` it runs; its JSON log lines arrive on stderr.
 */
import { spawn } from 'node:child_process';
import type { BuildPhase } from '../api/contract.js';
import { BuildFailure, type BuildBackend, type BuildJob, type BuildSink } from './backend.js';
import { LineSplitter, parseRepo2DockerLine } from './repo2docker-log.js';

export interface LocalRepo2DockerOptions {
  command: string[];
  configFile: string | null;
  userId: number;
  userName: string;
  /** Environment variables that must not reach repo2docker (the service's own secrets). */
  secretEnv: string[];
  /** Grace period between SIGTERM and SIGKILL on cancel. */
  killGraceMs?: number;
  /** Receives repo2docker's tracebacks, for operators. */
  onTraceback?: (buildId: string, traceback: string) => void;
}

/** repo2docker's argv for a job; exported for tests. Every user value comes after its option. */
export function repo2dockerArgs(job: BuildJob, options: LocalRepo2DockerOptions): string[] {
  const args = [
    ...options.command.slice(1),
    '--no-run',
    '--json-logs',
    '--user-id',
    String(options.userId),
    '--user-name',
    options.userName,
    '--image-name',
    job.image,
    '--ref',
    job.commit
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
  // `--` ends the options: the repository is never read as one.
  args.push('--', job.repo);
  return args;
}

export class LocalRepo2DockerBackend implements BuildBackend {
  readonly kind = 'local' as const;

  constructor(private readonly options: LocalRepo2DockerOptions) {}

  async run(job: BuildJob, sink: BuildSink, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1' };
    for (const name of this.options.secretEnv) {
      delete env[name];
    }
    const child = spawn(this.options.command[0], repo2dockerArgs(job, this.options), {
      detached: true, // own process group: kill(-pid) reaches buildx too
      stdio: ['ignore', 'pipe', 'pipe'],
      env
    });
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
      stream.on('data', (chunk: string) => splitter.push(chunk).forEach(handle));
      stream.on('end', () => splitter.flush().forEach(handle));
    }

    const onAbort = (): void => this.stop(child.pid);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const [code, exitSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.once('error', error =>
          reject(new BuildFailure(`could not start repo2docker (${this.options.command[0]}): ${error.message}`))
        );
        child.once('close', (exitCode, closeSignal) => resolve([exitCode, closeSignal]));
      });
      signal.throwIfAborted();
      if (code !== 0) {
        throw new BuildFailure(lastFailure ?? `repo2docker stopped with ${exitSignal ?? `exit code ${code}`}`);
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
