/**
 * Stops and restarts the real Docker engine for the engine-loss tests and the soak benchmark.
 * The engine is shared with everything else on this machine, so the outage is kept to seconds,
 * and it is started again exactly the way scripts/start-docker.sh starts it (that script starts
 * dockerd when none answers), with the same flags and environment.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const STATE_DIR = process.env.R2D_STATE_DIR ?? join(ROOT, '.state');
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The pid of the running dockerd, from start-docker.sh's pid file or, failing that, /proc. */
export function dockerdPid(): number {
  const isDockerd = (pid: number): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .split('\0')[0]
        .endsWith('dockerd');
    } catch {
      return false;
    }
  };
  try {
    const pid = Number(
      readFileSync(join(STATE_DIR, 'dockerd.pid'), 'utf8').trim()
    );
    if (isDockerd(pid)) {
      return pid;
    }
  } catch {
    // no pid file: not started by our script
  }
  const out = execFileSync('pgrep', ['-x', 'dockerd'], { encoding: 'utf8' })
    .trim()
    .split('\n')[0];
  if (!out) {
    throw new Error('no dockerd is running');
  }
  return Number(out);
}

export function engineAnswers(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM dockerd and wait until it has exited. Returns when the engine is gone. */
export async function stopEngine(): Promise<void> {
  const pid = dockerdPid();
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) {
        return; // exited; a zombie nobody reaps here
      }
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`dockerd ${pid} did not stop within 30 s`);
}

/** Start the engine again the way the project starts it, and wait until it answers. */
export async function startEngine(): Promise<void> {
  // Not execFileSync: the caller's event loop (stream readers, a benchmark) keeps running.
  await promisify(execFile)(
    'bash',
    [join(ROOT, 'scripts', 'start-docker.sh')],
    { timeout: 90_000 }
  );
  if (!engineAnswers()) {
    throw new Error(
      'the Docker engine does not answer after scripts/start-docker.sh'
    );
  }
}

/** An outage of about `downMs` (plus dockerd's own stop and start time). Returns its length. */
export async function restartEngine(downMs = 2000): Promise<number> {
  const started = Date.now();
  await stopEngine();
  try {
    await sleep(downMs);
  } finally {
    await startEngine();
  }
  return Date.now() - started;
}
