/**
 * Soak: the service under a long mixed load, the Docker engine restarted once midway, then
 * checked for anything lost, duplicated or left behind.
 *
 * - `--users` (10) clients submit `--builds` (50) builds of the fixtures (ok, fail, chatty with
 *   20k lines, slow) spread over the first half of the run, each its own image name;
 * - `--streams` (200) concurrent log readers follow random builds and drop their connection at
 *   random, resuming with Last-Event-ID; at the end each (reader, build) pair reads on to the end;
 * - at half time the engine is stopped and started again (helpers/engine-control.ts: the shared
 *   engine, a few seconds' outage, restarted as scripts/start-docker.sh starts it).
 *
 * Reports events lost and duplicated per stream (must be 0 for every finished build), builds
 * per final phase, the service's RSS and open fds at start/middle/end, p99 latency of live
 * events (append → client), and what is left after a SIGTERM stop: build processes, containers,
 * temporary tags (all must be 0). Bounded: `--minutes` (10) plus at most 3 minutes to drain.
 *
 * The service runs in local mode, so the "users" are clients with their own image names, not
 * separate hub identities (the per-user limits are raised accordingly).
 * Usage: node --import tsx bench/soak.mts [--minutes 10] [--builds 50] [--streams 200] [--users 10]
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createParser } from 'eventsource-parser';
import { restartEngine } from '../service/test/helpers/engine-control.js';
import {
  makeFixtures,
  requireRealParts,
  type Fixtures
} from '../service/test/helpers/paths.js';
import { ServiceProcess } from '../service/test/helpers/service-process.js';
import { reportTarget } from './targets.mjs';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    builds: { type: 'string', default: '50' },
    streams: { type: 'string', default: '200' },
    users: { type: 'string', default: '10' }
  }
});
const MINUTES = Number(values.minutes);
const BUILDS = Number(values.builds);
const STREAMS = Number(values.streams);
const USERS = Number(values.users);
const DURATION_MS = MINUTES * 60_000;
const DRAIN_MS = 180_000;
const FINAL = new Set(['built', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const random = (min: number, max: number) => min + Math.random() * (max - min);

requireRealParts();
const service = await new ServiceProcess({
  config: {
    builds: {
      allowLocalRepos: true,
      maxConcurrent: 2,
      maxConcurrentPerUser: 2,
      maxQueuedPerUser: BUILDS + 10
    },
    logs: { maxBuilds: BUILDS * 2, maxBytes: 1 << 30 }
  }
}).start();
const pid = service.pid!;
const started = Date.now();

function usage(): { rssMiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  return {
    rssMiB: Math.round(rss),
    fds: readdirSync(`/proc/${pid}/fd`).length
  };
}
const samples: Record<string, { rssMiB: number; fds: number }> = {
  start: usage()
};

// ---- builds: fresh fixture sets so BuildKit's cache does not answer them, kinds mixed
const kinds: (keyof Omit<Fixtures, 'dir'>)[] = [
  'ok',
  'chatty',
  'fail',
  'ok',
  'chatty',
  'slow'
];
const fixtureSets: Fixtures[] = Array.from(
  { length: Math.ceil(BUILDS / kinds.length) },
  () => makeFixtures(20_000)
);
const builds = new Map<string, { kind: string; user: number }>();
const submitted: Promise<void>[] = [];
const madeImages = new Set<string>();
let submitErrors = 0;

async function submit(i: number): Promise<void> {
  const user = i % USERS;
  const kind = kinds[i % kinds.length];
  const repo = fixtureSets[Math.floor(i / kinds.length)][kind];
  for (let attempt = 0; attempt < 30; attempt++) {
    const answer = await service
      .api('POST', '/api/builds', { repo, name: `soak-u${user}-${i}` })
      .catch(() => null);
    if (answer && answer.status < 300) {
      builds.set(answer.body.id, { kind, user });
      madeImages.add(answer.body.image);
      return;
    }
    await sleep(2000); // 503 while the engine is away: try again
  }
  submitErrors++;
}
for (let i = 0; i < BUILDS; i++) {
  const at = (i / BUILDS) * (DURATION_MS / 2);
  submitted.push(sleep(at).then(() => submit(i)));
}

// ---- readers
interface Follow {
  last: number;
  lost: number;
  duplicated: number;
  final: boolean;
}
const follows = new Map<string, Follow>(); // `${reader}/${build}`
const latencies: number[] = [];
const finishedBuilds = new Set<string>();
let connections = 0;
let readErrors = 0;

async function readOnce(
  reader: number,
  buildId: string,
  cutAfterMs: number | null
): Promise<void> {
  const key = `${reader}/${buildId}`;
  let follow = follows.get(key);
  if (!follow) {
    follow = { last: 0, lost: 0, duplicated: 0, final: false };
    follows.set(key, follow);
  }
  if (follow.final) return;
  const controller = new AbortController();
  const timer =
    cutAfterMs === null
      ? null
      : setTimeout(() => controller.abort(), cutAfterMs);
  const connectedAt = Date.now();
  connections++;
  try {
    const response = await fetch(`${service.url}/api/builds/${buildId}/logs`, {
      headers: service.headers({
        accept: 'text/event-stream',
        'last-event-id': String(follow.last)
      }),
      signal: controller.signal
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return;
    }
    const f = follow;
    const parser = createParser({
      onEvent(message) {
        if (message.event !== 'log') return;
        const event = JSON.parse(message.data) as {
          seq: number;
          phase: string;
          time: string;
        };
        if (event.seq <= f.last) {
          f.duplicated++;
          return;
        }
        if (event.seq !== f.last + 1) f.lost += event.seq - f.last - 1;
        f.last = event.seq;
        const appended = Date.parse(event.time);
        if (appended >= connectedAt) latencies.push(Date.now() - appended); // live, not a replay
        if (FINAL.has(event.phase)) {
          f.final = true;
          finishedBuilds.add(buildId);
        }
      }
    });
    const decoder = new TextDecoder();
    for await (const chunk of response.body)
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
  } catch {
    if (!controller.signal.aborted) readErrors++;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

let stopReaders = false;
async function reader(index: number): Promise<void> {
  await sleep(random(0, 5000));
  while (!stopReaders) {
    const ids = [...builds.keys()];
    if (ids.length === 0) {
      await sleep(500);
      continue;
    }
    // Mostly builds under way (live streams), sometimes a replay of any.
    const active = ids.filter(id => !finishedBuilds.has(id));
    const pool = Math.random() < 0.8 && active.length > 0 ? active : ids;
    const id = pool[Math.floor(Math.random() * pool.length)];
    await readOnce(index, id, random(300, 8000));
    await sleep(random(50, 1000));
  }
}
const readers = Array.from({ length: STREAMS }, (_, i) => reader(i));

// ---- the engine restart, midway
await sleep(DURATION_MS / 2);
samples.middle = usage();
const outageMs = await restartEngine(2000);
console.error(`engine restarted (outage ${outageMs} ms)`);
await sleep(Math.max(0, started + DURATION_MS - Date.now()));
await Promise.all(submitted);

// ---- end: wait a bounded time for the queue, cancel what is left, read every follow to its end
const drainUntil = Date.now() + DRAIN_MS;
const phaseOf = async (id: string): Promise<string> =>
  (await service.api('GET', `/api/builds/${id}`)).body.phase;
for (;;) {
  const phases = await Promise.all([...builds.keys()].map(phaseOf));
  if (phases.every(p => FINAL.has(p)) || Date.now() > drainUntil) break;
  await sleep(2000);
}
stopReaders = true;
await Promise.all(readers);
for (const id of builds.keys()) {
  if (!FINAL.has(await phaseOf(id)))
    await service.api('DELETE', `/api/builds/${id}`);
}
samples.end = usage();
const pairs = [...follows.keys()];
for (let i = 0; i < pairs.length; i += 50) {
  await Promise.all(
    pairs.slice(i, i + 50).map(key => {
      const [r, id] = key.split('/');
      return readOnce(Number(r), id, 60_000);
    })
  );
}

const phases: Record<string, number> = {};
const finalPhase = new Map<string, string>();
for (const id of builds.keys()) {
  const phase = await phaseOf(id);
  finalPhase.set(id, phase);
  phases[phase] = (phases[phase] ?? 0) + 1;
}
const errorsByBuild: Record<string, string> = {};
for (const id of builds.keys()) {
  const { body } = await service.api('GET', `/api/builds/${id}`);
  if (body.error)
    errorsByBuild[body.error] = String(
      Number(errorsByBuild[body.error] ?? 0) + 1
    );
}
let lost = 0;
let duplicated = 0;
let streamsWithLoss = 0;
let unfinishedFollows = 0;
for (const [key, follow] of follows) {
  const id = key.split('/')[1];
  if (!FINAL.has(finalPhase.get(id) ?? '')) continue;
  lost += follow.lost;
  duplicated += follow.duplicated;
  if (follow.lost + follow.duplicated > 0) streamsWithLoss++;
  if (!follow.final) unfinishedFollows++;
}
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ??
  0;

// ---- stop the service and look for leftovers
const stop = await service.kill('SIGTERM');
await sleep(2000);
const marker = `REPO2DOCKER_SERVICE_INSTANCE=`;
let leftProcesses = 0;
for (const entry of readdirSync('/proc').filter(e => /^\d+$/.test(e))) {
  try {
    const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
    const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    if (
      env.includes(marker) &&
      env
        .split('\0')
        .some(v => v.startsWith(marker) && v.includes(`:${pid}:`)) &&
      !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
    )
      leftProcesses++;
  } catch {
    // gone
  }
}
const docker = (...args: string[]) =>
  execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore']
  }).trim();
const ids = [...builds.keys()];
const leftContainers = docker('ps', '-a', '--format', '{{.Labels}}')
  .split('\n')
  .filter(l => ids.some(id => l.includes(id))).length;
const leftTemporary = docker('images', '--format', '{{.Repository}}:{{.Tag}}')
  .split('\n')
  .filter(t => ids.some(id => t.endsWith(`:build-${id}`))).length;
for (const image of madeImages) {
  try {
    docker('rmi', image);
  } catch {
    // not built (a failed or cancelled build leaves no image)
  }
}

console.log(
  `## Soak — ${MINUTES} min, ${USERS} users, ${BUILDS} builds, ${STREAMS} streams, engine restarted once (outage ${outageMs} ms)`
);
console.log();
console.log('| measure | value |');
console.log('| --- | --- |');
console.log(
  `| builds per final phase | ${Object.entries(phases)
    .map(([p, n]) => `${p} ${n}`)
    .join(', ')} (${submitErrors} not accepted) |`
);
console.log(
  `| failure reasons | ${
    Object.entries(errorsByBuild)
      .map(([e, n]) => `${n}× "${e}"`)
      .join('; ') || 'none'
  } |`
);
console.log(
  `| stream connections (with resumes) | ${connections} over ${follows.size} (reader, build) pairs; ${readErrors} broken by the server/engine |`
);
console.log(
  `| events lost / duplicated (finished builds) | ${lost} / ${duplicated} (${streamsWithLoss} streams affected; ${unfinishedFollows} did not reach the final event) |`
);
console.log(
  `| live event latency p50 / p99 / max | ${pct(0.5)} / ${pct(0.99)} / ${latencies.at(-1) ?? 0} ms (${latencies.length} events) |`
);
for (const [when, s] of Object.entries(samples))
  console.log(
    `| service RSS / open fds at ${when} | ${s.rssMiB} MiB / ${s.fds} |`
  );
console.log(`| SIGTERM stop | ${stop.ms} ms, exit code ${stop.code} |`);
console.log(
  `| left afterwards: build processes / containers / temporary tags | ${leftProcesses} / ${leftContainers} / ${leftTemporary} |`
);
const soakRun = `${MINUTES} min, ${BUILDS} builds, ${STREAMS} streams, engine restarted once`;
reportTarget({
  measure: `soak (${soakRun}): events lost / duplicated on streams of finished builds`,
  target: '0 / 0',
  result: `${lost} / ${duplicated} over ${connections} connections`,
  met: lost === 0 && duplicated === 0
});
reportTarget({
  measure: `soak (${soakRun}): left after SIGTERM (build processes / containers / temporary tags)`,
  target: '0 / 0 / 0, exit code 0',
  result: `${leftProcesses} / ${leftContainers} / ${leftTemporary}, exit code ${stop.code} after ${stop.ms} ms`,
  met:
    leftProcesses === 0 &&
    leftContainers === 0 &&
    leftTemporary === 0 &&
    stop.code === 0
});
process.exit(0);
