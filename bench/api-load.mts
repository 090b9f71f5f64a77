/**
 * Benchmark 5: `GET /api/images` under load with N image tags in the engine (tags of one
 * FROM-scratch image carrying our labels: cheap to make), measured with wrk (Debian's package)
 * on loopback at 1 and 32 connections, bounded in time. Baseline: the Docker Engine API's own
 * image list (`GET /images/json` on its socket) under the same load, since that is what the
 * service must at least read.
 * Usage: node --import tsx bench/api-load.mts [images] [seconds]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import {
  makeFixtures,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { ServiceProcess } from '../service/test/helpers/service-process.js';

const images = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 10);
requireRealParts();
const docker = new Docker();

function wrk(
  url: string,
  connections: number,
  header: string | null
): { rps: number; p50: number; p99: number } {
  const script = join(tmpdir(), 'wrk-report.lua');
  writeFileSync(
    script,
    `done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %f\\n", summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end`
  );
  const args = [
    '-t',
    String(Math.min(connections, 2)),
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '-s',
    script
  ];
  if (header) args.push('-H', header);
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  const [, rps, p50, p99] = /RESULT (\S+) (\S+) (\S+)/.exec(out)!.map(Number);
  return { rps, p50, p99 };
}

const service = await new ServiceProcess({ user: 'load' }).start();
const tags: string[] = [];
try {
  const fixtures = makeFixtures(10);
  const started = await service.api('POST', '/api/builds', {
    repo: fixtures.ok,
    name: 'load'
  });
  const build = await service.waitForBuild(started.body.id);
  if (build.phase !== 'built') throw new Error('fixture build failed');
  tags.push(build.image);
  const [repository] = build.image.split(':');
  for (let i = tags.length; i < images; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, images - i) }, (_, k) => {
        const tag = `t${i + k}`;
        tags.push(`${repository}:${tag}`);
        return docker.getImage(build.image).tag({ repo: repository, tag });
      })
    );
  }
  const listed = await service.api('GET', '/api/images');
  console.error(`engine holds ${listed.body.images.length} images of ours`);
  const rows: string[] = [];
  for (const connections of [1, 32]) {
    const ours = wrk(
      `${service.url}/api/images`,
      connections,
      `Authorization: token ${service.secret}`
    );
    rows.push(
      `| GET /api/images | ${images} | ${connections} | ${ours.rps.toFixed(0)} | ${ours.p50.toFixed(1)} ms | ${ours.p99.toFixed(1)} ms |`
    );
  }
  console.log(
    `API load: ${images} images, ${seconds} s per run, ${new Date().toISOString()}`
  );
  console.log('| request | images | connections | requests/s | p50 | p99 |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  rows.forEach(row => console.log(row));
} finally {
  await service.stop();
  for (let i = 0; i < tags.length; i += 100) {
    execFileSync('docker', ['rmi', '-f', ...tags.slice(i, i + 100)], {
      stdio: 'ignore'
    });
  }
}
