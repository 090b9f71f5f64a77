/**
 * Build commands (repo2docker, and the `docker buildx build` it starts) must not outlive the
 * service, even when the service is SIGKILLed and has no chance to clean up. Linux's
 * parent-death signal would reach repo2docker only, not its children, and Node cannot set it;
 * so each build runs under a tiny supervisor: a second Node process (`process.execPath -e`,
 * always present, unlike python3 or setsid) that
 *
 * - leads a process group of its own (spawned `detached`), in which the build command runs, so
 *   that `kill(-pid)` from the service (cancel) reaches repo2docker and buildx alike;
 * - holds a pipe from the service on its stdin that nobody writes to: when the service dies,
 *   however it dies, the kernel closes the pipe, the supervisor reads end-of-file and kills the
 *   whole group (SIGTERM, then SIGKILL after a grace period), itself included;
 * - relays the command's stdout/stderr as fast as the command writes them, holding in memory
 *   what the service has not yet read (up to a bound), so that a service that stalls for a few
 *   seconds does not stall the build: BuildKit cancels a build whose progress nobody reads for
 *   that long ("failed to receive status: rpc error: code = Canceled", measured: a 7 s stall of
 *   the service broke a chatty build, see issue 19 item 10);
 * - exits with the command's exit code, so callers see what they would see without it.
 *
 * Starting Node is most of what the supervisor costs (0.2–0.4 s measured on this project's 2-core
 * machines), so a build starts its supervisor first (`startSupervisor`) and hands it the command
 * when the checkout is done: the command travels as the first line on the supervisor's stdin,
 * with its environment, so that neither has to be known before it is needed.
 *
 * Every process of the build also inherits `REPO2DOCKER_SERVICE_INSTANCE`, so that a later start
 * can find and kill anything that still escaped (docker/reaper.ts).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { currentInstance, INSTANCE_ENV } from '../docker/instance.js';

/**
 * Runs in the supervisor: argv[1] is the grace in ms, argv[2] how many bytes of output it holds
 * for a service that does not read before the command has to wait. The command comes as the
 * first line on stdin: JSON {argv, env, cwd}. Its end before that line is "not needed": exit.
 */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const graceMs = Number(process.argv[1]);
const maxBuffered = Number(process.argv[2]);
const group = sig => { try { process.kill(-process.pid, sig); } catch {} };
// The service's cancel signals the whole group; the command handles it, we wait for its exit.
process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
let pending = '';
let started = false;
const orphaned = () => {
  if (!started) process.exit(0);
  group('SIGTERM');
  setTimeout(() => group('SIGKILL'), graceMs);
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', chunk => {
  if (started) return;
  pending += chunk;
  const end = pending.indexOf('\\n');
  if (end < 0) return;
  started = true;
  run(JSON.parse(pending.slice(0, end)));
});
process.stdin.on('end', orphaned);
process.stdin.on('error', orphaned);
function run({ argv: [command, ...args], env, cwd }) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  // Relay output at the command's pace, whatever the service's: if the service stalls (a long GC,
  // a busy event loop), the output waits here, in memory, instead of blocking the command.
  // BuildKit cancels a build whose progress is not read for a few seconds. Written through
  // non-blocking sockets: process.stdout on a pipe blocks on Linux.
  const { Socket } = require('node:net');
  const relay = (from, fd) => {
    const to = new Socket({ fd, readable: false, writable: true });
    to.on('error', () => from.resume()); // the service is gone: keep draining until we are killed
    from.on('data', chunk => {
      if (!to.write(chunk) && to.writableLength > maxBuffered) {
        from.pause(); // only past this much: then the command waits, as it would without us
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => to.end());
    return to;
  };
  // fds 4 and 5, not 1 and 2: Node special-cases sockets on 1 and 2 when they close.
  relay(child.stdout, 4);
  relay(child.stderr, 5);
  child.on('error', error => {
    // Told on fd 3, so that the service sees the spawn error it would have seen without us.
    try { require('node:fs').writeSync(3, JSON.stringify({ spawnError: error.message })); } catch {}
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? 128 + (require('node:os').constants.signals[signal] ?? 0);
    process.stdin.destroy(); // then we exit once the relayed output is written
  });
}
`;

export interface SupervisorOptions {
  /** SIGTERM to SIGKILL, when the service is gone. */
  graceMs?: number;
  /** Output held for a service that does not read, before the command is made to wait. */
  maxBufferedBytes?: number;
}

export interface SuperviseOptions extends SupervisorOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export type SupervisedChild = ChildProcessByStdio<Writable, Readable, Readable>;

/** A supervisor started ahead of its command; one of `run` or `discard`, once. */
export interface PendingSupervisor {
  /** The supervisor's pid, which leads the build's process group. */
  readonly pid: number | undefined;
  /**
   * Run `command args` (argv, never a shell) under it. The returned child is the supervisor: its
   * pid leads the build's process group, its stdout/stderr are the command's, and its exit code
   * is the command's. Keep its stdin open (never end it): closing it stops the build.
   */
  run(
    command: string,
    args: string[],
    options: { env: NodeJS.ProcessEnv; cwd?: string }
  ): SupervisedChild;
  /** Not needed after all (the checkout failed, the build was cancelled): it exits. */
  discard(): void;
}

/** Start a supervisor now, to be handed its command later (its Node start overlaps the wait). */
export function startSupervisor(
  options: SupervisorOptions = {}
): PendingSupervisor {
  const child = spawn(
    process.execPath,
    [
      '-e',
      SUPERVISOR,
      String(options.graceMs ?? 3000),
      String(options.maxBufferedBytes ?? 256 * 1024 * 1024)
    ],
    {
      detached: true, // own process group, led by the supervisor
      // stdin: the command, then the lifeline; 2: the supervisor's own errors, to the service's
      // stderr; 3: spawn errors; 4 and 5: the command's stdout and stderr.
      stdio: ['pipe', 'ignore', 'inherit', 'pipe', 'pipe', 'pipe'],
      // The marker from the start: the reaper finds a supervisor the service left, run or not.
      env: {
        PATH: process.env.PATH,
        [INSTANCE_ENV]: currentInstance(),
        NODE_OPTIONS: ''
      }
    }
  );
  // The command's output is what callers read as this child's stdout and stderr.
  const stdio = child.stdio as unknown as [
    Writable,
    null,
    null,
    Readable,
    Readable,
    Readable
  ];
  Object.defineProperty(child, 'stdout', {
    value: stdio[4],
    configurable: true
  });
  Object.defineProperty(child, 'stderr', {
    value: stdio[5],
    configurable: true
  });
  // An EPIPE once the supervisor is gone is no error of ours.
  stdio[0].on('error', () => undefined);
  // The command could not be started: the same 'error' event a plain spawn gives.
  const control = stdio[3];
  let said = '';
  control.setEncoding('utf8');
  control.on('data', (chunk: string) => (said += chunk));
  control.on('end', () => {
    try {
      const { spawnError } = JSON.parse(said) as { spawnError?: string };
      if (spawnError) {
        child.emit('error', new Error(spawnError));
      }
    } catch {
      // nothing said: the command started
    }
  });
  return {
    pid: child.pid,
    run(command, args, { env, cwd }) {
      stdio[0].write(
        `${JSON.stringify({
          argv: [command, ...args],
          env: { ...env, [INSTANCE_ENV]: currentInstance(), NODE_OPTIONS: '' },
          cwd
        })}\n`
      );
      return child as unknown as SupervisedChild;
    },
    discard() {
      stdio[0].end();
    }
  };
}

/** `startSupervisor(options).run(command, args, options)`: for a command known at once. */
export function spawnSupervised(
  command: string,
  args: string[],
  options: SuperviseOptions
): SupervisedChild {
  return startSupervisor(options).run(command, args, options);
}
