/**
 * Build processes die with the service, however it dies: the supervisor kills its process group
 * when the service's end of its stdin pipe closes, SIGKILL included. Real processes, no engine.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  spawnSupervised,
  startSupervisor
} from '../../src/backends/supervise.js';
import {
  currentInstance,
  INSTANCE_ENV,
  instanceState,
  processStartTime
} from '../../src/docker/instance.js';
import { orphanBuildProcesses } from '../../src/docker/reaper.js';
import { SERVICE_DIR } from '../helpers/paths.js';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const until = async (probe: () => boolean, ms: number): Promise<void> => {
  for (const end = Date.now() + ms; !probe() && Date.now() < end;)
    await sleep(50);
};
/** Live members of a process group (zombies do not count: pid 1 here may never reap them). */
const groupMembers = (pgid: number): number[] =>
  spawnSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(
      ([, group, stat]) => Number(group) === pgid && !stat.startsWith('Z')
    )
    .map(([pid]) => Number(pid));

describe('spawnSupervised', () => {
  it('passes output and the exit code through', async () => {
    const child = spawnSupervised(
      'sh',
      ['-c', 'echo out; echo err >&2; exit 7'],
      { env: process.env }
    );
    let out = '';
    let err = '';
    child.stdout.on('data', chunk => (out += chunk));
    child.stderr.on('data', chunk => (err += chunk));
    const [code] = await once(child, 'close');
    assert.equal(code, 7);
    assert.equal(out, 'out\n');
    assert.equal(err, 'err\n');
  });

  it('drains the command at full speed while the service does not read, and loses nothing', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'r2d-supervise-')), 'done');
    // ~20 MB, far more than a pipe holds: without the relay the command would block on write.
    const child = spawnSupervised(
      'sh',
      ['-c', `seq 1 2500000 >&2; touch '${marker}'`],
      { env: process.env }
    );
    child.stderr.pause();
    await until(() => existsSync(marker), 10_000);
    assert.ok(
      existsSync(marker),
      'the command finished although nobody read its output'
    );
    let text = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', chunk => (text += chunk));
    child.stderr.resume();
    const code = await new Promise(resolve => child.on('close', resolve));
    assert.equal(code, 0);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 2_500_000);
    assert.equal(lines.at(-1), '2500000');
  });

  it('started ahead, runs the command it is handed later, with that environment and directory', async () => {
    const pending = startSupervisor();
    await sleep(300); // Node has started meanwhile: that is the point
    const dir = mkdtempSync(join(tmpdir(), 'r2d-supervise-'));
    const child = pending.run('sh', ['-c', 'echo "$GREETING $(pwd)"'], {
      env: { PATH: process.env.PATH, GREETING: 'hello' },
      cwd: dir
    });
    let out = '';
    child.stdout.on('data', chunk => (out += chunk));
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
    assert.equal(out, `hello ${dir}\n`);
  });

  it('discarded before any command, it exits and leaves nothing', async () => {
    const pending = startSupervisor();
    await sleep(300);
    assert.deepEqual(groupMembers(pending.pid!), [pending.pid]);
    pending.discard();
    await until(() => groupMembers(pending.pid!).length === 0, 5000);
    assert.deepEqual(groupMembers(pending.pid!), []);
  });

  it('a command that cannot start gives the spawn error, as a plain spawn would, then exit 127', async () => {
    const child = spawnSupervised('/nonexistent/command', [], {
      env: process.env
    });
    const errors: Error[] = [];
    child.on('error', error => errors.push(error));
    const code = await new Promise(resolve => child.on('close', resolve));
    assert.equal(code, 127);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /spawn \/nonexistent\/command ENOENT/);
  });

  it("the command and its children carry the instance marker and share the supervisor's group", async () => {
    const child = spawnSupervised(
      'sh',
      ['-c', `sleep 30 & echo "$${INSTANCE_ENV}"; wait`],
      { env: process.env }
    );
    const [line] = await once(child.stdout, 'data');
    assert.equal(String(line).trim(), currentInstance());
    for (
      const until = Date.now() + 5000;
      groupMembers(child.pid!).length < 3 && Date.now() < until;
    )
      await sleep(50);
    assert.ok(groupMembers(child.pid!).length >= 3, 'supervisor, sh and sleep');
    process.kill(-child.pid!, 'SIGKILL'); // what cancel does
    await once(child, 'close');
    await sleep(100);
    assert.deepEqual(groupMembers(child.pid!), []);
  });

  it('a SIGKILLed service takes the whole build (command and grandchildren) with it', async () => {
    // A stand-in service: starts a supervised build whose children ignore SIGTERM, prints the
    // supervisor's pid, and waits to be killed.
    const script = `
      import { spawnSupervised } from './src/backends/supervise.ts';
      const child = spawnSupervised('sh', ['-c', 'trap "" TERM; sleep 300 & sleep 300 & wait'], { env: process.env, graceMs: 300 });
      setTimeout(() => console.log(child.pid), 300);
    `;
    const service = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: SERVICE_DIR,
        stdio: ['ignore', 'pipe', 'inherit']
      }
    );
    const [chunk] = await once(service.stdout, 'data');
    const pgid = Number(String(chunk).trim());
    for (
      const until = Date.now() + 5000;
      groupMembers(pgid).length < 4 && Date.now() < until;
    )
      await sleep(50);
    assert.equal(groupMembers(pgid).length, 4, 'supervisor, sh, two sleeps');
    service.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (groupMembers(pgid).length > 0 && Date.now() < deadline)
      await sleep(50);
    assert.deepEqual(
      groupMembers(pgid),
      [],
      'nothing of the build outlives the service'
    );
  });
});

describe('instances', () => {
  it('tells alive, dead and foreign instances apart', () => {
    assert.equal(instanceState(currentInstance()), 'alive');
    assert.equal(
      instanceState(
        `${hostname()}:${process.ppid}:${processStartTime(process.ppid)}`
      ),
      'alive'
    );
    assert.equal(
      instanceState(`${hostname()}:${process.ppid}:1`),
      'dead',
      'pid reused by another process'
    );
    assert.equal(instanceState(`${hostname()}:4194999:123`), 'dead');
    assert.equal(instanceState(`other-host:4194999:123`), 'foreign');
    assert.equal(instanceState(undefined), 'foreign');
    assert.equal(instanceState('garbage'), 'foreign');
  });

  it('finds processes of dead instances by their environment, and only those', async () => {
    const dead = spawn('sleep', ['30'], {
      env: { ...process.env, [INSTANCE_ENV]: `${hostname()}:4194999:123` }
    });
    const alive = spawn('sleep', ['30'], {
      env: { ...process.env, [INSTANCE_ENV]: currentInstance() }
    });
    await sleep(100);
    try {
      const found = orphanBuildProcesses();
      assert.ok(found.includes(dead.pid!));
      assert.ok(!found.includes(alive.pid!));
    } finally {
      dead.kill('SIGKILL');
      alive.kill('SIGKILL');
    }
  });
});
