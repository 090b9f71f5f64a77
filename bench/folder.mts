/**
 * Issue 18's figure: a folder of 1,000 files and 50 MB built through the service (packed by the
 * Jupyter server extension's own packer, uploaded to POST /api/builds/upload, built to the final
 * `built` log event) against `repo2docker --no-run` run on the same folder directly, with the
 * argv the service gives it (backends/repo2docker-run.ts: --user-id/--user-name of the default
 * config, the offline --config). Alternating, each run on a fresh folder (new nonce and new
 * random content, so both sides send the whole context and run the RUN step). Also the repeated
 * upload of unchanged content (the already-built answer: pack + upload + unpack + digest).
 * Usage: node --import tsx bench/folder.mts [runs] [files] [megabytes]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  packWithExtension,
  type Packed
} from '../service/test/helpers/folder-pack.js';
import {
  REPO2DOCKER,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { bareArgs } from './bare-repo2docker.mjs';
import { median } from './stats.mjs';
import { ServiceProcess } from '../service/test/helpers/service-process.js';
import { readLog } from '../service/test/helpers/sse.js';

const runs = Number(process.argv[2] ?? 3);
const files = Number(process.argv[3] ?? 1000);
const megabytes = Number(process.argv[4] ?? 50);
const LIMIT_BYTES = 100 * 1024 * 1024; // the service's default builds.uploadMaxBytes
const LIMIT_FILES = 10_000;
const rmi = (ref: string): void =>
  void spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
const seconds = (ms: number): string => (ms / 1000).toFixed(2);

/**
 * `files` members in all: Dockerfile, busybox, nonce, data/ and its files of random bytes, the
 * whole `megabytes` MB (10^6) with busybox counted. Builds offline (FROM scratch, as
 * scripts/make-fixtures.sh) and copies data/ into the image.
 */
function makeFolder(parent: string, name: string): string {
  const dir = join(parent, name);
  mkdirSync(join(dir, 'data'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, 'nonce'), randomBytes(16).toString('hex'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\nCOPY data /data\n' +
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox du -sk /data"]\n'
  );
  const dataFiles = files - 4; // Dockerfile, busybox, nonce, data/
  const busybox = spawnSync('stat', ['-c', '%s', '/bin/busybox'], {
    encoding: 'utf8'
  });
  const each = Math.floor(
    (megabytes * 1e6 - Number(busybox.stdout.trim())) / dataFiles
  );
  for (let i = 0; i < dataFiles; i++) {
    writeFileSync(
      join(dir, 'data', `part-${String(i).padStart(4, '0')}.bin`),
      randomBytes(each)
    );
  }
  return dir;
}

requireRealParts();
const work = mkdtempSync(join(tmpdir(), 'r2d-bench-folder-'));
const service = await new ServiceProcess({ user: 'bench' }).start();
const bare: number[] = [];
const pack: number[] = [];
const upload: number[] = [];
const build: number[] = [];
const total: number[] = [];
const again: number[] = [];
let archiveBytes = 0;
try {
  for (let i = 0; i < runs; i++) {
    {
      const folder = makeFolder(work, `bare-${i}`);
      const t0 = performance.now();
      const result = spawnSync(
        REPO2DOCKER,
        bareArgs(`bench-folder-bare:${i}`, folder),
        { stdio: 'ignore' }
      );
      bare.push(performance.now() - t0);
      if (result.status !== 0) throw new Error('bare repo2docker failed');
      rmi(`bench-folder-bare:${i}`);
      rmSync(folder, { recursive: true, force: true });
    }
    {
      const folder = makeFolder(work, `service-${i}`);
      const t0 = performance.now();
      const packed = packWithExtension(folder, LIMIT_BYTES, LIMIT_FILES);
      const t1 = performance.now();
      archiveBytes = packed.archive.length;
      /** This run's upload of `archive` (the same path and name each time). */
      const post = (archive: Packed): Promise<Response> =>
        fetch(
          `${service.url}/api/builds/upload?${new URLSearchParams({
            digest: archive.digest,
            path: `bench/run-${i}`,
            name: `folder-${i}`
          })}`,
          {
            method: 'POST',
            headers: service.headers({ 'content-type': 'application/gzip' }),
            body: archive.archive
          }
        );
      const response = await post(packed);
      const started = (await response.json()) as { id: string; image: string };
      const t2 = performance.now();
      if (response.status !== 202)
        throw new Error(
          `upload answered ${response.status}: ${JSON.stringify(started)}`
        );
      const log = await readLog(service.url, service.headers(), started.id);
      const t3 = performance.now();
      if (log.events.at(-1)?.phase !== 'built')
        throw new Error(`service build ended ${log.events.at(-1)?.phase}`);
      pack.push(t1 - t0);
      upload.push(t2 - t1);
      build.push(t3 - t2);
      total.push(t3 - t0);
      // Unchanged content again: pack, upload, unpack, digest, "already built".
      const t4 = performance.now();
      const repacked = packWithExtension(folder, LIMIT_BYTES, LIMIT_FILES);
      const second = await post(repacked);
      const answer = (await second.json()) as { alreadyBuilt?: boolean };
      again.push(performance.now() - t4);
      if (second.status !== 200 || !answer.alreadyBuilt)
        throw new Error(`second upload answered ${second.status}`);
      rmi(started.image);
      rmSync(folder, { recursive: true, force: true });
    }
  }
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}

const bareMedian = median(bare);
const totalMedian = median(total);
console.log(
  `## Folder build (issue 18): ${files} files, ${megabytes} MB of random content, ${runs} runs each, medians`
);
console.log();
console.log('| | seconds |');
console.log('| --- | --- |');
console.log(
  `| \`repo2docker --no-run\` on the folder directly | ${seconds(bareMedian)} |`
);
console.log(
  `| through the service: pack + upload + build to \`built\` | ${seconds(totalMedian)} (${(totalMedian / bareMedian).toFixed(2)}×) |`
);
console.log(
  `| … of which packing by the extension's packer (${(archiveBytes / 1e6).toFixed(1)} MB tar.gz) | ${seconds(median(pack))} |`
);
console.log(
  `| … of which upload + unpack + digest + queue (POST answered) | ${seconds(median(upload))} |`
);
console.log(
  `| … of which the build, POST answered to \`built\` (repo2docker on the unpacked folder) | ${seconds(median(build))} |`
);
console.log(
  `| unchanged folder again: pack + upload + "already built" | ${seconds(median(again))} |`
);
console.log();
console.log(
  `raw (ms): bare ${bare.map(Math.round).join(', ')}; build ${build.map(Math.round).join(', ')}; service ${total.map(Math.round).join(', ')}; upload ${upload.map(Math.round).join(', ')}; again ${again.map(Math.round).join(', ')}`
);
