/**
 * Benchmark 5: `GET /api/images` under load with N images in the engine, measured with wrk
 * (Debian's package) on loopback at 1 and 32 connections, bounded in time, at each size given
 * (half, full and double: the images grow from one size to the next in the same engine). The
 * images are labelled copies of one FROM-scratch fixture build (helpers/labelled-images.ts: the
 * service lists an image under the name its labels imply, so tags of one image would not do),
 * in an engine of this benchmark's own, thrown away at the end (bench/scale-engine.mts).
 * Usage: node --import tsx bench/api-load.mts [--seconds 10] [images ...] (default 1000 2000 4000)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLabelledImages } from '../service/test/helpers/labelled-images.js';
import {
  makeFixtures,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { ServiceProcess } from '../service/test/helpers/service-process.js';
import { ScaleEngine } from './scale-engine.mjs';
import { reportTarget } from './targets.mjs';

const { values, positionals } = parseArgs({
  options: { seconds: { type: 'string', default: '10' } },
  allowPositionals: true
});
const seconds = Number(values.seconds);
const sizes = positionals.length ? positionals.map(Number) : [1000, 2000, 4000];
requireRealParts();

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

const engine = await ScaleEngine.start();
process.env.DOCKER_HOST = engine.host; // the docker CLI here and the service process
const service = await new ServiceProcess({ user: 'load' }).start();
/**
 * The list, asked again once when the connection was closed under it: the client's keep-alive
 * socket can have been idle past the server's timeout during a wrk run. A second failure shows
 * the end of the service's output.
 */
async function listImages() {
  try {
    return await service.api('GET', '/api/images');
  } catch {
    await new Promise(resolve => setTimeout(resolve, 500));
    try {
      return await service.api('GET', '/api/images');
    } catch (error) {
      console.error(service.output.slice(-4000));
      throw error;
    }
  }
}
const loaded: string[] = [];
try {
  const fixtures = makeFixtures(10);
  const started = await service.api('POST', '/api/builds', {
    repo: fixtures.ok,
    name: 'load'
  });
  const build = await service.waitForBuild(started.body.id);
  if (build.phase !== 'built') throw new Error('fixture build failed');
  const labels = JSON.parse(
    execFileSync(
      'docker',
      ['image', 'inspect', '--format', '{{json .Config.Labels}}', build.image],
      { encoding: 'utf8' }
    )
  ) as Record<string, string>;
  const others = (await service.api('GET', '/api/images')).body.images.length;
  const rows: string[] = [];
  for (const images of sizes) {
    const add = images - others - loaded.length;
    if (add > 0) {
      loaded.push(
        ...loadLabelledImages({
          base: labels,
          baseRepository: build.image.split(':')[0],
          count: add,
          owners: ['load'],
          prefix: `load${loaded.length}x`
        })
      );
    }
    const listed = (await listImages()).body.images.length;
    if (listed < images) {
      throw new Error(`the service lists ${listed} images, not ${images}`);
    }
    for (const connections of [1, 32]) {
      const ours = wrk(
        `${service.url}/api/images`,
        connections,
        `Authorization: token ${service.secret}`
      );
      if (images === 2000 && connections === 32) {
        reportTarget({
          measure: `GET /api/images, ${images} images (whole list), local auth, ${connections} connections`,
          target: '≥ 1,000 requests/s, p50 < 100 ms',
          result: `${ours.rps.toFixed(0)} req/s, p50 ${ours.p50.toFixed(1)} ms`,
          met: ours.rps >= 1000 && ours.p50 < 100
        });
      }
      rows.push(
        `| GET /api/images | ${listed} | ${connections} | ${ours.rps.toFixed(0)} | ${ours.p50.toFixed(1)} ms | ${ours.p99.toFixed(1)} ms |`
      );
    }
  }
  console.log(
    `API load (local auth, whole list): ${seconds} s per run, ${new Date().toISOString()}`
  );
  console.log('| request | images | connections | requests/s | p50 | p99 |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  rows.forEach(row => console.log(row));
} finally {
  await service.stop();
  await engine.stop(); // and every image with it
}
