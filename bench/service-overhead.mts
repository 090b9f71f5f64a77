/**
 * Benchmarks 1 and 2 of the benchmark issue, in one run:
 *  1. a fixture build through the service's API (POST to the final `built` event on the log
 *     stream) against the same build by bare `repo2docker --no-run`, alternating, each run on a
 *     fresh fixture (new nonce, so both sides run the RUN step; same cache state otherwise);
 *  2. a repeated request for a built repo@commit (the already-built answer) against a full build.
 * Prints medians and ratios. Usage: node --import tsx bench/service-overhead.mts [runs]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  makeFixtures,
  REPO2DOCKER,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { bareArgs } from './bare-repo2docker.mjs';
import { median } from './stats.mjs';
import { reportTarget } from './targets.mjs';
import { ServiceProcess } from '../service/test/helpers/service-process.js';
import { readLog } from '../service/test/helpers/sse.js';

const runs = Number(process.argv[2] ?? 7);
const rmi = (ref: string): void =>
  void spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });

requireRealParts();
const service = await new ServiceProcess({ user: 'bench' }).start();
const bare: number[] = [];
const viaService: number[] = [];
const alreadyBuilt: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    // Bare repo2docker.
    {
      const fixtures = makeFixtures(10);
      const t0 = performance.now();
      const result = spawnSync(
        REPO2DOCKER,
        bareArgs(`bench-bare:${i}`, fixtures.ok),
        { stdio: 'ignore' }
      );
      bare.push(performance.now() - t0);
      if (result.status !== 0) throw new Error('bare repo2docker failed');
      rmi(`bench-bare:${i}`);
    }
    // Through the service.
    {
      const fixtures = makeFixtures(10);
      const t0 = performance.now();
      const started = await service.api('POST', '/api/builds', {
        repo: fixtures.ok,
        name: `run${i}`
      });
      const log = await readLog(
        service.url,
        service.headers(),
        started.body.id
      );
      viaService.push(performance.now() - t0);
      if (log.events.at(-1)?.phase !== 'built')
        throw new Error(`service build ended ${log.events.at(-1)?.phase}`);
      const t1 = performance.now();
      const again = await service.api('POST', '/api/builds', {
        repo: fixtures.ok,
        name: `run${i}`
      });
      alreadyBuilt.push(performance.now() - t1);
      if (!again.body.alreadyBuilt)
        throw new Error('expected an already-built answer');
      rmi(started.body.image);
    }
  }
} finally {
  await service.stop();
}
const engine = execFileSync(
  'docker',
  ['version', '--format', '{{.Server.Version}}'],
  { encoding: 'utf8' }
).trim();
const row = (
  name: string,
  ours: number,
  base: number,
  target: string
): string =>
  `| ${name} | ${ours.toFixed(0)} ms | ${base.toFixed(0)} ms | ${(ours / base).toFixed(3)} | ${target} |`;
console.log(
  `runs: ${runs} (alternating), docker engine ${engine}, ${new Date().toISOString()}`
);
console.log('| measure | ours (median) | baseline (median) | ratio | target |');
console.log('| --- | --- | --- | --- | --- |');
console.log(
  row(
    'fixture build: service vs bare repo2docker',
    median(viaService),
    median(bare),
    'ratio ≤ 1.05'
  )
);
console.log(
  row(
    'already built vs full service build',
    median(alreadyBuilt),
    median(viaService),
    '< 300 ms and ≥ 20× faster'
  )
);
const ratio = median(viaService) / median(bare);
reportTarget({
  measure: 'fixture build through the service vs bare `repo2docker --no-run`',
  target: 'ratio ≤ 1.05',
  result: `${ratio.toFixed(2)} (${median(viaService).toFixed(0)} vs ${median(bare).toFixed(0)} ms, ${runs} alternating runs)`,
  met: ratio <= 1.05
});
const speedUp = median(viaService) / median(alreadyBuilt);
reportTarget({
  measure: 'already-built answer vs a full build',
  target: '< 300 ms and ≥ 20× faster',
  result: `${median(alreadyBuilt).toFixed(0)} ms, ${speedUp.toFixed(0)}×`,
  met: median(alreadyBuilt) < 300 && speedUp >= 20
});
console.log(
  `already-built answers: ${alreadyBuilt.map(ms => ms.toFixed(1)).join(', ')} ms; speed-up ${(median(viaService) / median(alreadyBuilt)).toFixed(0)}×`
);
