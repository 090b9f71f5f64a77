/**
 * A loopback HTTP server for the bench: it serves the bench pages (bench/viewer/dist) and, at
 * `/api/builds/bench-<n>/logs`, the log of a finished build of n lines written by the service's
 * own code: the lines go through the build's `LineBatcher` into a real `BuildRecord`, and the
 * response is `streamBuildLog` (service/src/http/log-stream.ts) on a real socket, so the page
 * receives exactly the bytes the service sends for a finished log.
 *
 * The batcher closes an event at 200 lines: about what its 5 ms window gathers from a chatty
 * build (repo2docker writes line by line; a pip install prints a few hundred lines in 5 ms).
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { BuildRecord } from '../../service/src/builds/build-record.ts';
import { LineBatcher } from '../../service/src/builds/line-batcher.ts';
import { streamBuildLog } from '../../service/src/http/log-stream.ts';
import { generateLines } from './lines.ts';

/** Lines per event: what the service's batcher makes of a chatty build (see above). */
export const LINES_PER_EVENT = 200;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
};

/** A finished build of `n` generated lines, its last line the final (`built`) event. */
export function finishedBuild(n: number): BuildRecord {
  const record = new BuildRecord({
    id: `bench-${n}`,
    owner: 'bench',
    shared: false,
    repo: 'https://example.org/bench.git',
    ref: 'main',
    commit: '0'.repeat(40),
    subdir: null,
    name: 'bench',
    displayName: 'bench',
    image: 'r2d-bench/bench:0',
    push: false,
    private: false,
    buildArgs: {}
  });
  record.limitLog(Number.MAX_SAFE_INTEGER);
  // The clock the batcher stamps events with does not matter here; its window never fires
  // (the lines arrive in one turn of the event loop), so events close at LINES_PER_EVENT.
  const batcher = new LineBatcher(
    (phase, message, progress, receivedAt) =>
      record.append(phase, message, progress, receivedAt),
    LINES_PER_EVENT
  );
  let last = '';
  generateLines(n, (line, k) => {
    if (k === n - 1) {
      last = line;
    } else {
      batcher.line('building', line, null);
    }
  });
  batcher.flush();
  record.finish('built', last);
  return record;
}

export async function startReplayServer(
  dist: string
): Promise<{ url: string; close: () => Promise<void> }> {
  const builds = new Map<number, BuildRecord>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const log = /^\/api\/builds\/bench-(\d+)\/logs$/.exec(url.pathname);
    if (log) {
      const n = Number(log[1]);
      let build = builds.get(n);
      if (!build) {
        builds.clear(); // one size at a time: a 2M-line log holds 200+ MB here
        build = finishedBuild(n);
        builds.set(n, build);
      }
      streamBuildLog(build, res, 0, { heartbeatMs: 15_000 });
      return;
    }
    const file = normalize(url.pathname).replace(/^[/\\.]+/, '');
    readFile(join(dist, file)).then(
      body => {
        res.writeHead(200, {
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream'
        });
        res.end(body);
      },
      () => {
        res.writeHead(404).end();
      }
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}
