/**
 * Benchmark 5 under the real JupyterHub: `GET /api/images` through the hub's proxy with a user's
 * hub token (checked against the hub, then cached by the service), N image tags in the engine,
 * wrk at 1 and 32 connections. Prints requests/s, p50/p99 and the token cache's hit rate (from
 * the service's /metrics). The images are in an engine of this benchmark's own, thrown away at the
 * end (bench/scale-engine.mts); the hub hands its DOCKER_HOST to the service (test_overrides.py).
 * Usage: node --import tsx bench/hub-api-load.mts [images] [seconds]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL } from '../service/src/images/labels.js';
import { ScaleEngine } from './scale-engine.mjs';
import { reportTarget } from './targets.mjs';
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
  token: string,
  headers: string[] = []
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
      ...headers.flatMap(header => ['-H', header]),
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

/**
 * `count` more images of alice's: copies of `image` with their own name label (an image counts
 * as the service's only under the repository and tag its labels give, so tags of one image
 * would not do), made by one `docker load` of configs that share the image's layers.
 */
function loadCopies(image: string, count: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'r2d-hubload-'));
  try {
    execFileSync('sh', [
      '-c',
      'docker save "$1" | tar -x -C "$2"',
      'sh',
      image,
      dir
    ]);
    const [entry] = JSON.parse(
      readFileSync(join(dir, 'manifest.json'), 'utf8')
    ) as Array<{ Config: string; Layers: string[] }>;
    const config = JSON.parse(readFileSync(join(dir, entry.Config), 'utf8'));
    const labels = config.config.Labels as Record<string, string>;
    const name = labels[LABEL.name];
    const [repository, tag] = image.split(':');
    if (!repository.endsWith(`/${name}`))
      throw new Error(`${image}: the repository does not end with its name`);
    const manifest = [];
    for (let i = 1; i <= count; i++) {
      const copyName = `${name}-${i}`;
      config.config.Labels = { ...labels, [LABEL.name]: copyName };
      const file = `copy-${i}.json`;
      writeFileSync(join(dir, file), JSON.stringify(config));
      const reference = `${repository.slice(0, -name.length)}${copyName}:${tag}`;
      manifest.push({
        Config: file,
        RepoTags: [reference],
        Layers: entry.Layers
      });
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    execFileSync('sh', ['-c', 'tar -C "$1" -c . | docker load -q', 'sh', dir], {
      stdio: 'ignore'
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

const engine = await ScaleEngine.start();
process.env.DOCKER_HOST = engine.host; // the docker CLI here, the hub and its service
const hub = await new HubProcess({
  serviceConfig: {
    auth: { cacheSeconds: 10, cacheMaxEntries: 10000 },
    logLevel: 'warn'
  }
}).start();
try {
  const token = await hub.token('alice');
  const fixtures = makeFixtures(10);
  const started = await hub.api(token, 'POST', '/api/builds', {
    repo: fixtures.ok,
    name: 'hubload'
  });
  const build = await hub.waitForBuild(token, started.body.id);
  if (build.phase !== 'built') throw new Error('fixture build failed');
  loadCopies(build.image, images - 1);
  // The engine's `load` events drop the service's cached list; give them a moment.
  // (The proxy may close an idle keep-alive connection just as it is reused: ask once more.)
  const list = () =>
    hub
      .api(token, 'GET', '/api/images')
      .catch(() => hub.api(token, 'GET', '/api/images'));
  let listed = await list();
  for (let k = 0; k < 20 && listed.body.images.length < images; k++) {
    await new Promise(resolve => setTimeout(resolve, 500));
    listed = await list();
  }
  console.error(`alice sees ${listed.body.images.length} images`);
  if (listed.body.images.length < images)
    throw new Error(
      `alice sees ${listed.body.images.length} images, not ${images}`
    );
  const before = await tokenLookups(hub);
  // The whole list (what the panel asked for before), then what it asks for now: again with the
  // ETag it has (304 while nothing changed), and a page of 50 (`limit`), fresh and with its ETag.
  const etagOf = async (path: string): Promise<string> => {
    const ask = () =>
      fetch(`${hub.serviceUrl}${path}`, {
        headers: { Authorization: `token ${token}` }
      });
    const response = await ask().catch(ask);
    const body = (await response.json()) as { images: unknown[] };
    const etag = response.headers.get('ETag');
    if (!response.ok || !etag) throw new Error(`${path}: no ETag`);
    if (path.includes('limit=50') && body.images.length !== 50)
      throw new Error(`${path}: ${body.images.length} images, not 50`);
    return etag;
  };
  const variants: Array<[string, string, string[]]> = [
    ['GET /api/images (whole list)', '/api/images', []],
    [
      'GET /api/images, If-None-Match (304)',
      '/api/images',
      [`If-None-Match: ${await etagOf('/api/images')}`]
    ],
    ['GET /api/images?limit=50', '/api/images?limit=50', []],
    [
      'GET /api/images?limit=50, If-None-Match (304)',
      '/api/images?limit=50',
      [`If-None-Match: ${await etagOf('/api/images?limit=50')}`]
    ]
  ];
  const rows: string[] = [];
  for (const connections of [1, 32]) {
    for (const [label, path, headers] of variants) {
      const r = wrk(`${hub.serviceUrl}${path}`, connections, token, headers);
      // The panel's request: a page, fresh (a poll with its ETag is cheaper still).
      if (
        connections === 32 &&
        path === '/api/images?limit=50' &&
        !headers.length
      ) {
        reportTarget({
          measure: `GET /api/images through the hub's proxy, hub token, ${images} images, ${connections} connections (the panel's page of 50)`,
          target: '≥ 1,000 requests/s',
          result: `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms`,
          met: r.rps >= 1000
        });
      }
      rows.push(
        `| ${label} via the hub's proxy, hub token | ${images} | ${connections} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |`
      );
    }
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
  await engine.stop(); // and every image with it
}
