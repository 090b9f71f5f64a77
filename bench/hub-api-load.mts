/**
 * Benchmark 5 under the real JupyterHub: `GET /api/images` through the hub's proxy with a user's
 * hub token (checked against the hub, then cached by the service), N image tags in the engine,
 * wrk at 1 and 32 connections. Prints requests/s, p50/p99 and the token cache's hit rate (from
 * the service's /metrics). Usage: node --import tsx bench/hub-api-load.mts [images] [seconds]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { HubProcess } from '../service/test/helpers/hub.js';
import {
  makeFixtures,
  requireRealParts
} from '../service/test/helpers/paths.js';

const images = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 10);
requireRealParts();

function wrk(
  url: string,
  connections: number,
  token: string
): { rps: number; p50: number; p99: number } {
  const script = join(tmpdir(), 'wrk-report.lua');
  writeFileSync(
    script,
    `done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f %d\\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end`
  );
  const out = execFileSync(
    'wrk',
    [
      '-t',
      String(Math.min(connections, 2)),
      '-c',
      String(connections),
      '-d',
      `${seconds}s`,
      '-s',
      script,
      '-H',
      `Authorization: token ${token}`,
      url
    ],
    { encoding: 'utf8' }
  );
  const [, rps, p50, p99, errors] = /RESULT (\S+) (\S+) (\S+) (\d+)/
    .exec(out)!
    .map(Number);
  if (errors > 0) throw new Error(`${errors} non-2xx answers`);
  return { rps, p50, p99 };
}

async function tokenLookups(
  hub: HubProcess
): Promise<{ hit: number; miss: number }> {
  // The proxy may close an idle keep-alive connection just as it is reused: ask once more.
  const read = async () => (await fetch(`${hub.serviceUrl}/metrics`)).text();
  const text = await read().catch(read);
  const value = (result: string): number =>
    Number(
      new RegExp(
        `repo2docker_token_lookups\\{result="${result}"\\} (\\d+)`
      ).exec(text)?.[1] ?? 0
    );
  return { hit: value('hit'), miss: value('miss') };
}

const hub = await new HubProcess({
  serviceConfig: {
    auth: { cacheSeconds: 10, cacheMaxEntries: 10000 },
    logLevel: 'warn'
  }
}).start();
const docker = new Docker();
const tags: string[] = [];
try {
  const token = await hub.token('alice');
  const fixtures = makeFixtures(10);
  const started = await hub.api(token, 'POST', '/api/builds', {
    repo: fixtures.ok,
    name: 'hubload'
  });
  const build = await hub.waitForBuild(token, started.body.id);
  if (build.phase !== 'built') throw new Error('fixture build failed');
  tags.push(build.image);
  const [repository] = build.image.split(':');
  for (let i = 1; i < images; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, images - i) }, (_, k) => {
        tags.push(`${repository}:t${i + k}`);
        return docker
          .getImage(build.image)
          .tag({ repo: repository, tag: `t${i + k}` });
      })
    );
  }
  const listed = await hub.api(token, 'GET', '/api/images');
  console.error(`alice sees ${listed.body.images.length} images`);
  const before = await tokenLookups(hub);
  const rows: string[] = [];
  for (const connections of [1, 32]) {
    const r = wrk(`${hub.serviceUrl}/api/images`, connections, token);
    rows.push(
      `| GET /api/images via the hub's proxy, hub token | ${images} | ${connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |`
    );
  }
  const after = await tokenLookups(hub);
  const hits = after.hit - before.hit;
  const misses = after.miss - before.miss;
  console.log(
    `API load under JupyterHub: ${images} images, ${seconds} s per run, ${new Date().toISOString()}`
  );
  console.log('| request | images | connections | requests/s | p50 | p99 |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  rows.forEach(row => console.log(row));
  console.log(
    `token cache during the runs: ${hits} hits, ${misses} misses, hit rate ${((100 * hits) / Math.max(1, hits + misses)).toFixed(2)}% (auth.cacheSeconds 10)`
  );
} finally {
  await hub.stop();
  for (let i = 0; i < tags.length; i += 100)
    execFileSync('docker', ['rmi', '-f', ...tags.slice(i, i + 100)], {
      stdio: 'ignore'
    });
}
