/**
 * Benchmark 3: the chatty fixture's lines relayed by the service to 1, 10 and 100 concurrent SSE
 * clients, live (clients connected before the build starts) and as a replay of the finished log;
 * against reading repo2docker's own output directly (the baseline: no service at all).
 * Lines travel several to an event (those that arrive within 5 ms). Latency is from the service
 * receiving a batch's first line (the event's `time`) to a client parsing it; the
 * line's trip from repo2docker's stderr to the service is the same pipe read as the baseline's.
 * Usage: node --import tsx bench/log-relay.mts [lines] [clients...]
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  makeFixtures,
  REPO2DOCKER,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { bareArgs } from './bare-repo2docker.mjs';
import { reportTarget } from './targets.mjs';
import { ServiceProcess } from '../service/test/helpers/service-process.js';

const lines = Number(process.argv[2] ?? 100_000);
const clientCounts = process.argv.slice(3).map(Number).filter(Boolean);
if (clientCounts.length === 0) clientCounts.push(1, 10, 100);
const pct = (xs: number[], p: number): number =>
  xs.length
    ? [...xs].sort((a, b) => a - b)[
        Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))
      ]
    : NaN;

interface ClientResult {
  events: number;
  lines: number;
  latencies: number[];
  doneAt: number;
  lastPhase: string;
}

/** A lean SSE client: counts events by their `id:` lines and samples latency from each chunk's last event. */
async function client(
  url: string,
  headers: Record<string, string>
): Promise<ClientResult> {
  const response = await fetch(url, {
    headers: { ...headers, accept: 'text/event-stream' }
  });
  const decoder = new TextDecoder();
  const result: ClientResult = {
    events: 0,
    lines: 0,
    latencies: [],
    doneAt: 0,
    lastPhase: ''
  };
  let carry = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    const now = Date.now();
    const text = carry + decoder.decode(chunk, { stream: true });
    const cut = text.lastIndexOf('\n\n');
    const complete = cut >= 0 ? text.slice(0, cut) : '';
    carry = cut >= 0 ? text.slice(cut + 2) : text;
    // Every event starts with its `id:` line; counting those needs no parsing.
    const events = ('\n' + complete).split('\nid:').length - 1;
    result.events += events;
    // An event carries one or more lines; inside its JSON, each further line is an escaped "\n".
    result.lines += events + complete.split('\\n').length - 1;
    const lastData = complete.lastIndexOf('data:');
    if (lastData >= 0) {
      const time = /"time":"([^"]+)"/.exec(complete.slice(lastData));
      if (time) result.latencies.push(now - Date.parse(time[1]));
      result.lastPhase =
        /"phase":"(\w+)"/.exec(complete.slice(lastData))?.[1] ??
        result.lastPhase;
    }
  }
  result.doneAt = Date.now();
  return result;
}

function rssOf(pattern: string): number {
  try {
    const pid = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' })
      .trim()
      .split('\n')[0];
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
  } catch {
    return NaN;
  }
}

requireRealParts();
const rows: string[] = [];

// Baseline: repo2docker's own output read directly.
{
  const fixtures = makeFixtures(lines);
  const t0 = Date.now();
  const child = spawn(
    REPO2DOCKER,
    bareArgs('bench-relay:bare', fixtures.chatty),
    { stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let count = 0;
  let first = 0;
  for await (const chunk of child.stderr) {
    if (!first) first = Date.now();
    for (const byte of chunk as Buffer) if (byte === 10) count++;
  }
  const seconds = (Date.now() - t0) / 1000;
  rows.push(
    `| bare repo2docker (baseline) | 1 | live | ${count} | ${(count / seconds).toFixed(0)} | ${(count / seconds).toFixed(0)} | – | – | – |`
  );
  execFileSync('docker', ['rmi', '-f', 'bench-relay:bare'], {
    stdio: 'ignore'
  });
}

const service = await new ServiceProcess({
  user: 'relay',
  config: {
    builds: { allowLocalRepos: true },
    logs: { maxStreamsPerUser: 1000 },
    logLevel: 'warn'
  }
}).start();
try {
  for (const n of clientCounts) {
    const fixtures = makeFixtures(lines);
    const started = await service.api('POST', '/api/builds', {
      repo: fixtures.chatty
    });
    const url = `${service.url}/api/builds/${started.body.id}/logs`;
    let peakRss = 0;
    const sampler = setInterval(
      () => (peakRss = Math.max(peakRss, rssOf(`src/main.ts --config`))),
      200
    );
    const t0 = Date.now();
    const live = await Promise.all(
      Array.from({ length: n }, () => client(url, service.headers()))
    );
    const liveSeconds = (Math.max(...live.map(r => r.doneAt)) - t0) / 1000;
    const t1 = Date.now();
    const replay = await Promise.all(
      Array.from({ length: n }, () => client(url, service.headers()))
    );
    const replaySeconds = (Math.max(...replay.map(r => r.doneAt)) - t1) / 1000;
    clearInterval(sampler);
    const total = live[0].lines;
    if (live[0].lastPhase !== 'built') {
      console.error(
        `warning: the ${n}-client build ended ${live[0].lastPhase} (BuildKit under load?); its row counts what was relayed`
      );
    }
    if (
      live.some(r => r.lines !== total) ||
      replay.some(r => r.lines !== total)
    ) {
      throw new Error(
        `clients disagree on the line count: ${live.map(r => r.lines)} / ${replay.map(r => r.lines)}`
      );
    }
    const latencies = live.flatMap(r => r.latencies);
    // The target is stated for 100 clients following a 100,000-line build.
    if (n === 100 && lines === 100_000) {
      const perSecond = (total * n) / liveSeconds;
      const p99 = pct(latencies, 99);
      reportTarget({
        measure: `log relay, ${lines.toLocaleString('en')} lines live to ${n} clients`,
        target: '≥ 50k lines/s in all, p99 < 50 ms',
        result: `${(perSecond / 1e6).toFixed(2)} M lines/s, p99 ${p99} ms, service RSS ${peakRss.toFixed(0)} MiB`,
        met: perSecond >= 50_000 && p99 < 50
      });
    }
    rows.push(
      `| service | ${n} | live | ${total} | ${(total / liveSeconds).toFixed(0)} | ${((total * n) / liveSeconds).toFixed(0)} | ${pct(latencies, 50)} ms | ${pct(latencies, 99)} ms | ${peakRss.toFixed(0)} MiB |`
    );
    rows.push(
      `| service | ${n} | replay | ${total} | ${(total / replaySeconds).toFixed(0)} | ${((total * n) / replaySeconds).toFixed(0)} | – | – | – |`
    );
    execFileSync('docker', ['rmi', '-f', started.body.image], {
      stdio: 'ignore'
    });
  }
} finally {
  await service.stop();
}
console.log(`log relay: ${lines} fixture lines, ${new Date().toISOString()}`);
console.log(
  '| reader | clients | mode | lines per client | lines/s per client | lines/s all clients | latency p50 | latency p99 | service RSS peak |'
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
rows.forEach(row => console.log(row));
