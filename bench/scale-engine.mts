/**
 * A Docker engine of its own for the benchmarks that load thousands of images (the panel at hub
 * scale, the image-list load). Debian's dockerd, with the flags scripts/start-docker.sh uses (no
 * bridge, no iptables), its data and state in a fresh directory on tmpfs, its own socket.
 *
 * Why not the shared engine: every tag the engine takes in or drops rewrites and syncs its whole
 * reference store, so 10,000 labelled images cost minutes to load and as many again to remove,
 * and the engine stays slower for every benchmark after. Here loading is the only cost (no
 * fsync on tmpfs), and removing them all is stopping this engine and deleting its directory.
 *
 *   const engine = await ScaleEngine.start();
 *   process.env.DOCKER_HOST = engine.host;   // the docker CLI and the service process use it
 *   ...
 *   await engine.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class ScaleEngine {
  private constructor(
    readonly dir: string,
    readonly host: string,
    private readonly daemon: ChildProcess
  ) {}

  static async start(): Promise<ScaleEngine> {
    const parent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    const dir = mkdtempSync(join(parent, 'r2d-scale-'));
    const host = `unix://${join(dir, 'docker.sock')}`;
    const log = join(dir, 'dockerd.log');
    const daemon = spawn(
      'dockerd',
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        join(dir, 'dockerd.pid'),
        '--host',
        host,
        '--bridge=none',
        '--iptables=false',
        '--ip-masq=false'
      ],
      { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] }
    );
    const engine = new ScaleEngine(dir, host, daemon);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (daemon.exitCode !== null) break;
      try {
        execFileSync('docker', ['--host', host, 'info'], { stdio: 'ignore' });
        return engine;
      } catch {
        if (Date.now() > deadline) break;
        await new Promise(resolve => setTimeout(resolve, 300));
      }
    }
    const tail = readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
    await engine.stop();
    throw new Error(
      `the scale engine did not answer within 60 s; its log:\n${tail}`
    );
  }

  /** Stop the engine (it unmounts its layers) and delete everything it held. */
  async stop(): Promise<void> {
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      this.daemon.kill('SIGTERM');
      const timer = setTimeout(() => this.daemon.kill('SIGKILL'), 30_000);
      await once(this.daemon, 'exit');
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
