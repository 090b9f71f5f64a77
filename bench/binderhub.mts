/**
 * Against BinderHub (issue 17): the same fixture builds, on the same engine, in the same run,
 * asked of our service (local mode, its normal local backend, through its public API only) and
 * of a real BinderHub (scripts/start-binderhub.sh: API-only, local repo2docker builds on this
 * engine, loopback). At half, full and double size, for each side:
 *
 *  1. one fixture build, request → final event (median of the runs);
 *  2. the already-built answer for it, request → answer;
 *  3. two identical concurrent requests: builds that really ran (repo2docker processes seen)
 *     and the time until both clients had their final event;
 *  4. the delay from a line printed inside the build (stamped by busybox `ts %.s` as it is
 *     printed) to the client parsing it, p50 and p99, over the lines of the runs of 1;
 *  5. a log stream dropped midway and reconnected at once (ours with Last-Event-ID; BinderHub
 *     has no event ids, so asking again is all a client can do): lines lost, lines repeated;
 *  6. a cancel (ours: DELETE /api/builds/{id}; BinderHub's only cancel: closing the stream)
 *     right after a line: seconds until no process of that build runs (repo2docker, buildx, the
 *     RUN step, git), and whether an image was left.
 * Under 4, a floor both sides share: the same lines read straight from repo2docker's stderr.
 *
 * Size scales the work: the build prints 100 timestamped lines 30 ms apart at 1× (50 / 200 at
 * 0.5× / 2×); the cancel fixture prints a line every 2 s at 1× (1 s / 4 s): BinderHub notices a
 * closed stream only when the build next prints, so the gap between lines is its cost.
 * Every run gets fresh repositories (a nonce commit each), one per side, so neither side's image
 * cache nor BuildKit's layer cache can answer. Sides alternate which goes first.
 *
 * Usage: node --import tsx bench/binderhub.mts [--quick] [--runs N]
 *   --quick: 1× only, one run of each measure (about a minute). Default: 0.5×, 1×, 2×, 3 runs of 1.
 * Prints a markdown table (ours, BinderHub, ratio ours/BinderHub) and writes the raw figures to
 * bench/results/binderhub-<time>.{txt,json}.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { join, resolve } from 'node:path';
import { createParser } from 'eventsource-parser';
import { BinderHubClient } from '../service/src/backends/binderhub-client.js';
import {
  BinderHubProcess,
  fixtureParent,
  makeRepo
} from '../service/test/helpers/binderhub.js';
import {
  REPO2DOCKER,
  requireRealParts
} from '../service/test/helpers/paths.js';
import { bareArgs } from './bare-repo2docker.mjs';
import { median } from './stats.mjs';
import { reportTarget } from './targets.mjs';
import { ServiceProcess } from '../service/test/helpers/service-process.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(args[runsArg + 1]) : quick ? 1 : 3;
const SIZES = quick ? [1] : [0.5, 1, 2];
const LINES_1X = 100;
const LINE_GAP_MS = 30;
const CANCEL_GAP_1X_MS = 2000;
/** No single wait may hang the benchmark. */
const BUILD_TIMEOUT_MS = 120_000;
const GONE_TIMEOUT_MS = 30_000;

const sleep = (ms: number): Promise<void> =>
  new Promise(done => setTimeout(done, ms));
/** Wall-clock time in ms with sub-ms resolution, comparable to `ts %.s` inside the build (same kernel clock). */
const now = (): number => performance.timeOrigin + performance.now();
const pct = (xs: number[], p: number): number =>
  xs.length
    ? [...xs].sort((a, b) => a - b)[
        Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))
      ]
    : NaN;
const log = (message: string): void =>
  void process.stderr.write(`[binderhub bench] ${message}\n`);

type Side = 'ours' | 'binderhub';

// ---------------------------------------------------------------------------------------------
// Fixtures: a repository per side per run, its directory name the marker that finds its processes.

interface Fixture {
  repo: string;
  commit: string;
  /** Lowercase letters and digits only (BinderHub escapes anything else in its image slug). */
  marker: string;
  lines: number;
}

let parent = '';

/** Prints `lines` lines `tick-<i>`, each stamped by `ts` when printed (one `ts` per line: it buffers into a pipe). */
function tickingFixture(
  kind: string,
  side: Side,
  lines: number,
  gapMs: number
): Fixture {
  const marker = `bhb${randomBytes(4).toString('hex')}${kind}${side === 'ours' ? 'o' : 'b'}`;
  // The marker in the script puts it into the RUN step's argv, so the step's process is found too.
  const script = `m=${marker}; i=0; while [ $i -lt ${lines} ]; do echo tick-$i | /bin/busybox ts %.s; /bin/busybox usleep ${gapMs * 1000}; i=$((i+1)); done`;
  const repo = makeRepo(parent, marker, script);
  const commit = execFileSync(
    'git',
    ['-C', new URL(repo).pathname, 'rev-parse', 'HEAD'],
    { encoding: 'utf8' }
  ).trim();
  return { repo, commit, marker, lines };
}

interface Tick {
  index: number;
  /** Delay from the line being printed to this client parsing it. */
  delayMs: number;
}

const TICK = /(\d{10}\.\d{6}) tick-(\d+)\b/;

function ticksIn(message: string, receivedAt: number): Tick[] {
  const out: Tick[] = [];
  for (const line of message.split('\n')) {
    const match = TICK.exec(line);
    if (match) {
      out.push({
        index: Number(match[2]),
        delayMs: receivedAt - Number(match[1]) * 1000
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The processes of one build: everything whose argv names its marker (our checkout's git and
// supervisor, repo2docker, `docker buildx build` and the buildx plugin both carry the repo URL in
// their labels, and the RUN step's shell carries it in its script).

interface BuildProcesses {
  all: number[];
  repo2docker: number[];
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]); // after "pid (comm) state"
  } catch {
    return 0;
  }
}

function processesOf(marker: string): BuildProcesses {
  const found: BuildProcesses = { all: [], repo2docker: [] };
  const candidates: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended meanwhile
    }
    if (!argv.some(arg => arg.includes(marker))) continue;
    found.all.push(Number(name));
    if (
      /(^|\/)(jupyter-)?repo2docker$/.test(argv[0]) ||
      /(^|\/)(jupyter-)?repo2docker$/.test(argv[1] ?? '')
    ) {
      candidates.push(Number(name));
    }
  }
  // A child repo2docker has forked and not yet exec'd (git, docker buildx) still shows repo2docker's
  // argv: not a build of its own.
  found.repo2docker = candidates.filter(
    pid => !candidates.includes(parentOf(pid))
  );
  return found;
}

/** Samples the marker's processes every 100 ms; the distinct repo2docker pids are the builds that ran. */
function watchProcesses(marker: string): { stop: () => number } {
  const repo2docker = new Set<number>();
  const timer = setInterval(
    () => processesOf(marker).repo2docker.forEach(pid => repo2docker.add(pid)),
    100
  );
  return {
    stop: () => {
      clearInterval(timer);
      return repo2docker.size;
    }
  };
}

/** Polls until nothing of the build runs; ms from `from`, or null after GONE_TIMEOUT_MS. */
async function goneAfter(marker: string, from: number): Promise<number | null> {
  while (now() - from < GONE_TIMEOUT_MS) {
    if (processesOf(marker).all.length === 0) return now() - from;
    await sleep(50);
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Clients. Each reads exactly what a client of that side gets and notes when each line arrives.

interface Outcome {
  /** The final event's phase (`built` / `failed` / `cancelled`; BinderHub: `ready` / `failed`), or `dropped`. */
  final: string;
  ticks: Tick[];
  /** Ours: the id of the last event seen (for Last-Event-ID). */
  lastId: string;
  /** BinderHub: the run of the step was not shown (another request's identical solve ran it). */
  endedAt: number;
  alreadyBuilt: boolean;
}

let service!: ServiceProcess;
// Made before any measurement runs (its constructor only picks a state dir and a port).
const hub = new BinderHubProcess();
let client: BinderHubClient;

/** Our log stream from `lastId` on, until the final event or until `stop(ticks)` says drop it. */
async function readOurs(
  id: string,
  lastId: string | null,
  stop?: (ticks: Tick[]) => boolean
): Promise<Outcome> {
  const controller = new AbortController();
  const timeout = setTimeout(
    () => controller.abort(new Error('our build did not end in time')),
    BUILD_TIMEOUT_MS
  );
  const headers: Record<string, string> = {
    ...service.headers(),
    accept: 'text/event-stream'
  };
  if (lastId !== null) headers['last-event-id'] = lastId;
  const outcome: Outcome = {
    final: 'dropped',
    ticks: [],
    lastId: lastId ?? '',
    endedAt: 0,
    alreadyBuilt: false
  };
  let dropped = false;
  const parser = createParser({
    onEvent(message) {
      if (dropped) return;
      const at = now();
      const event = JSON.parse(message.data) as {
        phase: string;
        message: string;
      };
      outcome.ticks.push(...ticksIn(event.message, at));
      outcome.lastId = message.id ?? outcome.lastId;
      if (['built', 'failed', 'cancelled'].includes(event.phase)) {
        outcome.final = event.phase;
        outcome.endedAt = at;
      } else if (stop?.(outcome.ticks)) {
        dropped = true;
        outcome.endedAt = at;
      }
    }
  });
  try {
    const response = await fetch(`${service.url}/api/builds/${id}/logs`, {
      headers,
      signal: controller.signal
    });
    if (!response.ok || !response.body)
      throw new Error(`our log stream answered ${response.status}`);
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (dropped || outcome.final !== 'dropped') break; // break closes the connection
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
  return outcome;
}

async function startOurs(
  fixture: Fixture
): Promise<{ id: string; image: string; alreadyBuilt: boolean }> {
  // The commit as the ref on both sides: the same request, and BinderHub skips its ls-remote.
  const answer = await service.api('POST', '/api/builds', {
    repo: fixture.repo,
    ref: fixture.commit,
    name: fixture.marker
  });
  if (answer.status !== 202 && answer.status !== 200) {
    throw new Error(
      `POST /api/builds answered ${answer.status}: ${JSON.stringify(answer.body)}`
    );
  }
  return {
    id: answer.body.id,
    image: answer.body.image,
    alreadyBuilt: answer.body.alreadyBuilt
  };
}

/** One BinderHub build request, read until its final event or until `stop(ticks)` (then the stream is closed). */
async function readBinderHub(
  fixture: Fixture,
  stop?: (ticks: Tick[]) => boolean,
  signal?: AbortSignal
): Promise<Outcome> {
  const timeout = AbortSignal.timeout(BUILD_TIMEOUT_MS);
  const outcome: Outcome = {
    final: 'dropped',
    ticks: [],
    lastId: '',
    endedAt: 0,
    alreadyBuilt: false
  };
  for await (const update of client.build(
    { repo: fixture.repo, ref: fixture.commit },
    signal ? AbortSignal.any([signal, timeout]) : timeout
  )) {
    const at = now();
    if (update.kind === 'line') {
      outcome.ticks.push(...ticksIn(update.message, at));
      if (stop?.(outcome.ticks)) {
        outcome.endedAt = at;
        break; // closes the stream: BinderHub's only cancel
      }
    } else if (update.kind === 'ready' || update.kind === 'failed') {
      outcome.final = update.kind;
      outcome.endedAt = at;
      outcome.alreadyBuilt = update.kind === 'ready' && update.alreadyBuilt;
    }
  }
  return outcome;
}

function removeImages(side: Side, fixture: Fixture, ourImage?: string): void {
  try {
    removeImagesNow(side, fixture, ourImage);
  } catch {
    // the engine is away (a restart): hub.stop() removes BinderHub's at the end; ours are named per run
  }
}

function removeImagesNow(
  side: Side,
  fixture: Fixture,
  ourImage?: string
): void {
  const refs =
    side === 'ours'
      ? ourImage
        ? [ourImage]
        : []
      : hub.images().filter(ref => ref.endsWith(`:${fixture.commit}`));
  for (const ref of refs)
    spawnSync('docker', ['rmi', '-f', ref], { stdio: 'ignore' });
}

function imageLeft(side: Side, fixture: Fixture, ourImage: string): boolean {
  if (side === 'ours')
    return (
      spawnSync('docker', ['image', 'inspect', ourImage], { stdio: 'ignore' })
        .status === 0
    );
  return hub.images().some(ref => ref.endsWith(`:${fixture.commit}`));
}

// ---------------------------------------------------------------------------------------------
// The measures, one side at a time.

interface BuildRun {
  endToEndMs: number;
  alreadyBuiltMs: number;
  delays: number[];
  linesSeen: number;
  linesPrinted: number;
}

async function oneBuild(side: Side, lines: number): Promise<BuildRun> {
  const fixture = tickingFixture('e2e', side, lines, LINE_GAP_MS);
  let ourImage = '';
  try {
    const t0 = now();
    let outcome: Outcome;
    if (side === 'ours') {
      const started = await startOurs(fixture);
      ourImage = started.image;
      outcome = await readOurs(started.id, null);
      if (outcome.final !== 'built')
        throw new Error(`our build ended ${outcome.final}`);
    } else {
      outcome = await readBinderHub(fixture);
      if (outcome.final !== 'ready')
        throw new Error(`BinderHub's build ended ${outcome.final}`);
    }
    const endToEndMs = outcome.endedAt - t0;
    // The already-built answer: the same request again.
    const t1 = now();
    let alreadyBuiltMs: number;
    if (side === 'ours') {
      const again = await startOurs(fixture);
      alreadyBuiltMs = now() - t1;
      if (!again.alreadyBuilt)
        throw new Error('our second request was not answered as already built');
    } else {
      const again = await readBinderHub(fixture);
      alreadyBuiltMs = again.endedAt - t1;
      if (!again.alreadyBuilt)
        throw new Error(
          "BinderHub's second request was not answered as already built"
        );
    }
    return {
      endToEndMs,
      alreadyBuiltMs,
      delays: outcome.ticks.map(tick => tick.delayMs),
      linesSeen: new Set(outcome.ticks.map(tick => tick.index)).size,
      linesPrinted: lines
    };
  } finally {
    removeImages(side, fixture, ourImage);
  }
}

interface ConcurrentRun {
  buildsRun: number;
  totalMs: number;
  /** Cross-check: ours, distinct build ids answered; BinderHub, "Starting build" lines in its log. */
  buildsByApi: number;
  finals: string[];
  /** How many of the two clients saw the step's lines. */
  streamsWithLines: number;
}

/** BinderHub's own count: the "Starting build" lines its log holds for this fixture. */
function binderHubStarts(fixture: Fixture): number {
  return (
    hub
      .log()
      .match(new RegExp(`Starting build: .*/${fixture.marker}\\b`, 'gm')) ?? []
  ).length;
}

async function concurrent(side: Side, lines: number): Promise<ConcurrentRun> {
  const fixture = tickingFixture('twice', side, lines, LINE_GAP_MS);
  const watch = watchProcesses(fixture.marker);
  const images: string[] = [];
  try {
    const t0 = now();
    let outcomes: Outcome[];
    let buildsByApi: number;
    if (side === 'ours') {
      const started = await Promise.all([
        startOurs(fixture),
        startOurs(fixture)
      ]);
      images.push(...started.map(s => s.image));
      buildsByApi = new Set(started.map(s => s.id)).size;
      outcomes = await Promise.all(started.map(s => readOurs(s.id, null)));
    } else {
      outcomes = await Promise.all([
        readBinderHub(fixture),
        readBinderHub(fixture)
      ]);
      buildsByApi = binderHubStarts(fixture);
    }
    const totalMs = Math.max(...outcomes.map(o => o.endedAt)) - t0;
    await sleep(200); // one more sample after the end
    return {
      buildsRun: watch.stop(),
      totalMs,
      buildsByApi,
      finals: outcomes.map(o => o.final),
      streamsWithLines: outcomes.filter(o => o.ticks.length > 0).length
    };
  } finally {
    watch.stop();
    removeImages(side, fixture, images[0]);
  }
}

interface DropRun {
  lost: number;
  repeated: number;
  buildsRun: number;
  final: string;
  totalMs: number;
  seenBeforeDrop: number;
  /** Cross-check as for two identical requests. */
  buildsByApi: number;
}

async function dropAndReconnect(side: Side, lines: number): Promise<DropRun> {
  const fixture = tickingFixture('drop', side, lines, LINE_GAP_MS);
  const watch = watchProcesses(fixture.marker);
  const half = Math.floor(lines / 2);
  const midway = (ticks: Tick[]): boolean => ticks.length >= half;
  let ourImage = '';
  try {
    const t0 = now();
    let first: Outcome;
    let second: Outcome;
    if (side === 'ours') {
      const started = await startOurs(fixture);
      ourImage = started.image;
      first = await readOurs(started.id, null, midway);
      second = await readOurs(started.id, first.lastId); // at once, from the last event seen
    } else {
      first = await readBinderHub(fixture, midway);
      second = await readBinderHub(fixture); // all a client can do: ask again
    }
    const totalMs = second.endedAt - t0;
    await sleep(200);
    const count = new Map<number, number>();
    for (const tick of [...first.ticks, ...second.ticks])
      count.set(tick.index, (count.get(tick.index) ?? 0) + 1);
    let lost = 0;
    let repeated = 0;
    for (let i = 0; i < lines; i++) {
      const seen = count.get(i) ?? 0;
      if (seen === 0) lost++;
      else repeated += seen - 1;
    }
    const buildsByApi = side === 'ours' ? 1 : binderHubStarts(fixture);
    return {
      lost,
      repeated,
      buildsRun: watch.stop(),
      final: second.final,
      totalMs,
      seenBeforeDrop: first.ticks.length,
      buildsByApi
    };
  } finally {
    watch.stop();
    removeImages(side, fixture, ourImage);
  }
}

interface CancelRun {
  /** From the cancel to no process of the build left; null: still running after GONE_TIMEOUT_MS. */
  goneMs: number | null;
  /** Processes of the build at the moment of the cancel (it was really running). */
  runningAtCancel: number;
  imageLeft: boolean;
  /** Ours: the build's final event. */
  final: string;
}

async function cancel(side: Side, scale: number): Promise<CancelRun> {
  const gapMs = CANCEL_GAP_1X_MS * scale;
  const fixture = tickingFixture('cancel', side, 60, gapMs);
  const afterSecondLine = (ticks: Tick[]): boolean =>
    ticks.some(tick => tick.index >= 1);
  let ourImage = '';
  try {
    let cancelledAt: number;
    let runningAtCancel: number;
    let final = '';
    if (side === 'ours') {
      const started = await startOurs(fixture);
      ourImage = started.image;
      await readOurs(started.id, null, afterSecondLine);
      runningAtCancel = processesOf(fixture.marker).all.length;
      cancelledAt = now();
      const answer = await service.api('DELETE', `/api/builds/${started.id}`);
      if (answer.status >= 300)
        throw new Error(`DELETE answered ${answer.status}`);
      const gone = await goneAfter(fixture.marker, cancelledAt);
      final = (await readOurs(started.id, null)).final;
      await sleep(1000);
      return {
        goneMs: gone,
        runningAtCancel,
        imageLeft: imageLeft(side, fixture, ourImage),
        final
      };
    }
    const controller = new AbortController();
    let at = 0;
    let count = 0;
    try {
      await readBinderHub(
        fixture,
        ticks => {
          if (afterSecondLine(ticks) && at === 0) {
            count = processesOf(fixture.marker).all.length;
            at = now();
            controller.abort(new Error('cancelled by the benchmark'));
          }
          return false;
        },
        controller.signal
      );
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    cancelledAt = at;
    runningAtCancel = count;
    const gone = await goneAfter(fixture.marker, cancelledAt);
    await sleep(1000);
    return {
      goneMs: gone,
      runningAtCancel,
      imageLeft: imageLeft(side, fixture, ourImage),
      final: 'stream closed'
    };
  } finally {
    // A build still running after the timeout would go on building into the next measure.
    for (const pid of processesOf(fixture.marker).repo2docker) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    removeImages(side, fixture, ourImage);
  }
}

/**
 * The floor under both sides' delay: the same fixture's lines read straight from repo2docker's
 * stderr (BuildKit → buildx → repo2docker), with no service and no BinderHub in between.
 */
async function bareDelays(lines: number): Promise<number[]> {
  const fixture = tickingFixture('bare', 'ours', lines, LINE_GAP_MS);
  const image = `bhb-bare-${fixture.marker}:latest`;
  const child = spawn(REPO2DOCKER, bareArgs(image, fixture.repo), {
    stdio: ['ignore', 'ignore', 'pipe']
  });
  const delays: number[] = [];
  let carry = '';
  try {
    for await (const chunk of child.stderr) {
      const at = now();
      const parts = (carry + String(chunk)).split('\n');
      carry = parts.pop() ?? '';
      delays.push(...ticksIn(parts.join('\n'), at).map(tick => tick.delayMs));
    }
  } finally {
    child.kill('SIGKILL');
    spawnSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
  }
  return delays;
}

// ---------------------------------------------------------------------------------------------

interface SizeResult {
  scale: number;
  lines: number;
  cancelGapMs: number;
  builds: Record<Side, BuildRun[]>;
  concurrent: Record<Side, ConcurrentRun>;
  drop: Record<Side, DropRun>;
  cancel: Record<Side, CancelRun>;
  bareDelays: number[];
}

async function engineAnswers(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) return;
    await sleep(1000);
  }
  throw new Error('the Docker engine did not answer for 2 minutes');
}

const retries: string[] = [];
let turn = 0;
/** Both sides, the first one alternating from call to call. */
async function both<T>(
  what: string,
  run: (side: Side) => Promise<T>
): Promise<Record<Side, T>> {
  const order: Side[] =
    turn++ % 2 === 0 ? ['ours', 'binderhub'] : ['binderhub', 'ours'];
  const out = {} as Record<Side, T>;
  for (const side of order) {
    const t0 = now();
    try {
      out[side] = await run(side);
    } catch (error) {
      // The engine is shared: other engineers' fault tests restart it. Once, after it answers again.
      const why =
        error instanceof Error ? error.message.split('\n')[0] : String(error);
      retries.push(`${what}, ${side}: ${why}`);
      log(`${what}, ${side} failed (${why}); retrying once`);
      await engineAnswers();
      out[side] = await run(side);
    }
    log(
      `${what}, ${side}: ${JSON.stringify(out[side], (key, value) => (key === 'delays' ? `${value.length} samples` : value))} (${((now() - t0) / 1000).toFixed(1)} s)`
    );
  }
  return out;
}

requireRealParts();
const startedAt = new Date();
const wallStart = now();
parent = fixtureParent();
const results: SizeResult[] = [];
let repo2dockerVersion = '';
try {
  await hub.start();
  client = new BinderHubClient({ url: hub.url });
  repo2dockerVersion = String(
    ((await client.versions()).builder_info as Record<string, unknown>)[
      'repo2docker-version'
    ]
  );
  service = await new ServiceProcess({ user: 'bench' }).start();
  // One warm-up build each, not measured: the first build after a start pays for imports and caches.
  await both('warm-up', side => oneBuild(side, 10));
  for (const scale of SIZES) {
    const lines = Math.round(LINES_1X * scale);
    const builds: Record<Side, BuildRun[]> = { ours: [], binderhub: [] };
    for (let run = 0; run < RUNS; run++) {
      const pair = await both(`${scale}× build ${run + 1}/${RUNS}`, side =>
        oneBuild(side, lines)
      );
      builds.ours.push(pair.ours);
      builds.binderhub.push(pair.binderhub);
    }
    results.push({
      scale,
      lines,
      cancelGapMs: CANCEL_GAP_1X_MS * scale,
      builds,
      concurrent: await both(`${scale}× two identical requests`, side =>
        concurrent(side, lines)
      ),
      drop: await both(`${scale}× dropped stream`, side =>
        dropAndReconnect(side, lines)
      ),
      cancel: await both(`${scale}× cancel`, side => cancel(side, scale)),
      bareDelays: await bareDelays(lines).catch(error => {
        log(
          `bare repo2docker floor failed: ${error instanceof Error ? error.message : String(error)}`
        );
        return [];
      })
    });
  }
} finally {
  await service?.stop();
  await hub.stop();
  rmSync(parent, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Report.

const ms = (x: number): string =>
  Number.isFinite(x)
    ? x >= 10_000
      ? `${(x / 1000).toFixed(1)} s`
      : `${x.toFixed(x < 10 ? 1 : 0)} ms`
    : '–';
const seconds = (x: number | null): string =>
  x === null ? `> ${GONE_TIMEOUT_MS / 1000} s` : `${(x / 1000).toFixed(2)} s`;
const ratio = (ours: number | null, theirs: number | null): string =>
  ours === null ||
  theirs === null ||
  !Number.isFinite(ours) ||
  !Number.isFinite(theirs) ||
  theirs === 0
    ? '–'
    : (ours / theirs).toFixed(2);
const engine = execFileSync(
  'docker',
  ['version', '--format', '{{.Server.Version}}'],
  { encoding: 'utf8' }
).trim();
const out: string[] = [];
out.push(
  `Against BinderHub: ${quick ? 'quick, ' : ''}${RUNS} run(s) of each build, ${startedAt.toISOString()}, docker engine ${engine}, repo2docker ${repo2dockerVersion}, ` +
    `${(await import('node:os')).cpus().length} cores, wall time ${((now() - wallStart) / 1000).toFixed(0)} s`
);
out.push('');
out.push('| measure | size | ours | BinderHub | ratio (ours/BinderHub) |');
out.push('| --- | --- | ---: | ---: | ---: |');
const row = (
  measure: string,
  size: string,
  ours: string,
  theirs: string,
  r: string
): void =>
  void out.push(`| ${measure} | ${size} | ${ours} | ${theirs} | ${r} |`);
const sizeOf = (r: SizeResult): string => `${r.scale}× (${r.lines} lines)`;
for (const r of results) {
  const e2e = {
    ours: median(r.builds.ours.map(b => b.endToEndMs)),
    binderhub: median(r.builds.binderhub.map(b => b.endToEndMs))
  };
  row(
    `one fixture build, request → final event (median of ${RUNS})`,
    sizeOf(r),
    ms(e2e.ours),
    ms(e2e.binderhub),
    ratio(e2e.ours, e2e.binderhub)
  );
}
for (const r of results) {
  const ab = {
    ours: median(r.builds.ours.map(b => b.alreadyBuiltMs)),
    binderhub: median(r.builds.binderhub.map(b => b.alreadyBuiltMs))
  };
  row(
    'already built, request → answer',
    sizeOf(r),
    ms(ab.ours),
    ms(ab.binderhub),
    ratio(ab.ours, ab.binderhub)
  );
}
for (const r of results) {
  row(
    'two identical concurrent requests: builds run',
    sizeOf(r),
    String(r.concurrent.ours.buildsRun),
    String(r.concurrent.binderhub.buildsRun),
    ratio(r.concurrent.ours.buildsRun, r.concurrent.binderhub.buildsRun)
  );
}
for (const r of results) {
  row(
    'two identical concurrent requests: until both ended',
    sizeOf(r),
    ms(r.concurrent.ours.totalMs),
    ms(r.concurrent.binderhub.totalMs),
    ratio(r.concurrent.ours.totalMs, r.concurrent.binderhub.totalMs)
  );
}
for (const p of [50, 99]) {
  for (const r of results) {
    const d = {
      ours: pct(
        r.builds.ours.flatMap(b => b.delays),
        p
      ),
      binderhub: pct(
        r.builds.binderhub.flatMap(b => b.delays),
        p
      )
    };
    row(
      `line printed → client sees it, p${p}`,
      sizeOf(r),
      ms(d.ours),
      ms(d.binderhub),
      ratio(d.ours, d.binderhub)
    );
  }
}
for (const r of results) {
  row(
    'stream dropped midway, reconnected: lines lost',
    sizeOf(r),
    String(r.drop.ours.lost),
    String(r.drop.binderhub.lost),
    '–'
  );
}
for (const r of results) {
  row(
    'stream dropped midway, reconnected: lines repeated',
    sizeOf(r),
    String(r.drop.ours.repeated),
    String(r.drop.binderhub.repeated),
    '–'
  );
}
for (const r of results) {
  row(
    'stream dropped midway, reconnected: builds run',
    sizeOf(r),
    String(r.drop.ours.buildsRun),
    String(r.drop.binderhub.buildsRun),
    ratio(r.drop.ours.buildsRun, r.drop.binderhub.buildsRun)
  );
}
for (const r of results) {
  const size = `${r.scale}× (a line every ${r.cancelGapMs / 1000} s)`;
  row(
    'cancel after a line → nothing of the build runs',
    size,
    seconds(r.cancel.ours.goneMs),
    seconds(r.cancel.binderhub.goneMs),
    ratio(r.cancel.ours.goneMs, r.cancel.binderhub.goneMs)
  );
}
for (const r of results) {
  const size = `${r.scale}× (a line every ${r.cancelGapMs / 1000} s)`;
  row(
    'cancel: image left behind',
    size,
    r.cancel.ours.imageLeft ? 'yes' : 'no',
    r.cancel.binderhub.imageLeft ? 'yes' : 'no',
    '–'
  );
}
out.push('');
out.push(
  'Lines seen of those printed (the runs of 1): ' +
    results
      .map(
        r =>
          `${r.scale}×: ours ${r.builds.ours.map(b => `${b.linesSeen}/${b.linesPrinted}`).join(', ')}; BinderHub ${r.builds.binderhub.map(b => `${b.linesSeen}/${b.linesPrinted}`).join(', ')}`
      )
      .join(' — ')
);
out.push(
  "Delay floor, the same lines read straight from repo2docker's stderr (no service, no BinderHub; one build per size): " +
    results
      .map(
        r =>
          `${r.scale}×: p50 ${ms(pct(r.bareDelays, 50))}, p99 ${ms(pct(r.bareDelays, 99))} (${r.bareDelays.length} lines)`
      )
      .join(' — ')
);
out.push(
  'Each build (ms): ' +
    results
      .map(
        r =>
          `${r.scale}×: ours ${r.builds.ours.map(b => b.endToEndMs.toFixed(0)).join(', ')}; BinderHub ${r.builds.binderhub.map(b => b.endToEndMs.toFixed(0)).join(', ')}`
      )
      .join(' — ')
);
out.push(
  'Two identical requests, cross-check: ' +
    results
      .map(
        r =>
          `${r.scale}×: ours ${r.concurrent.ours.buildsByApi} build id(s), ends ${r.concurrent.ours.finals.join('/')}; ` +
          `BinderHub ${r.concurrent.binderhub.buildsByApi} "Starting build" line(s), ends ${r.concurrent.binderhub.finals.join('/')}, ` +
          `step output in ${r.concurrent.binderhub.streamsWithLines} of 2 streams`
      )
      .join(' — ')
);
out.push(
  'Dropped stream: ' +
    results
      .map(
        r =>
          `${r.scale}×: dropped after ${r.drop.ours.seenBeforeDrop} / ${r.drop.binderhub.seenBeforeDrop} lines (ours / BinderHub), ` +
          `ends ${r.drop.ours.final} / ${r.drop.binderhub.final}, request → end ${ms(r.drop.ours.totalMs)} / ${ms(r.drop.binderhub.totalMs)}, ` +
          `BinderHub "Starting build" lines ${r.drop.binderhub.buildsByApi}`
      )
      .join(' — ')
);
out.push(
  'Cancel: ' +
    results
      .map(
        r =>
          `${r.scale}×: processes at the cancel ${r.cancel.ours.runningAtCancel} / ${r.cancel.binderhub.runningAtCancel} (ours / BinderHub); ours ended ${r.cancel.ours.final}`
      )
      .join(' — ')
);
if (retries.length)
  out.push(
    `Measures run again after a failure (the shared engine restarted?): ${retries.join('; ')}`
  );
const report = out.join('\n');
console.log(report);
reportTargets(results.find(r => r.scale === 1) ?? results[0]);

/**
 * The targets against BinderHub, at 1× (bench/RESULTS.md's table): the same cost where both do
 * the same work, and what only resuming, joining and a real cancel give.
 */
function reportTargets(r: SizeResult): void {
  const vs = (a: number, b: number, unit = 'ms') =>
    `${a.toFixed(0)} vs ${b.toFixed(0)} ${unit} (ratio ${ratio(a, b)})`;
  const e2e = {
    ours: median(r.builds.ours.map(b => b.endToEndMs)),
    binderhub: median(r.builds.binderhub.map(b => b.endToEndMs))
  };
  reportTarget({
    measure: `against BinderHub: one fixture build, request → final event (${r.lines} lines, median of ${RUNS})`,
    target: 'ratio ≤ 1.1 (the same work costs the same)',
    result: vs(e2e.ours, e2e.binderhub),
    met: e2e.ours / e2e.binderhub <= 1.1
  });
  const ab = {
    ours: median(r.builds.ours.map(b => b.alreadyBuiltMs)),
    binderhub: median(r.builds.binderhub.map(b => b.alreadyBuiltMs))
  };
  reportTarget({
    measure: 'against BinderHub: already built, request → answer',
    target: 'no slower than BinderHub',
    result: vs(ab.ours, ab.binderhub),
    met: ab.ours <= ab.binderhub
  });
  reportTarget({
    measure:
      'against BinderHub: two identical concurrent requests, builds run / until both ended',
    target: 'one build, no slower',
    result: `${r.concurrent.ours.buildsRun} vs ${r.concurrent.binderhub.buildsRun} builds; ${vs(r.concurrent.ours.totalMs, r.concurrent.binderhub.totalMs)}`,
    met:
      r.concurrent.ours.buildsRun === 1 &&
      r.concurrent.ours.totalMs <= r.concurrent.binderhub.totalMs
  });
  const delay = (p: number, side: Side) =>
    pct(
      r.builds[side].flatMap(b => b.delays),
      p
    );
  const p50 = { ours: delay(50, 'ours'), binderhub: delay(50, 'binderhub') };
  const p99 = { ours: delay(99, 'ours'), binderhub: delay(99, 'binderhub') };
  reportTarget({
    measure: 'against BinderHub: line printed → client sees it, p50 / p99',
    target: 'p50 ratio ≤ 1.2',
    result: `p50 ${vs(p50.ours, p50.binderhub)}; p99 ${vs(p99.ours, p99.binderhub)}; floor p50 ${ms(pct(r.bareDelays, 50))}`,
    met: p50.ours / p50.binderhub <= 1.2
  });
  reportTarget({
    measure:
      'against BinderHub: stream dropped midway and reconnected (lines lost / repeated, builds run)',
    target: '0 / 0, one build',
    result: `ours ${r.drop.ours.lost} / ${r.drop.ours.repeated}, ${r.drop.ours.buildsRun} build; BinderHub ${r.drop.binderhub.lost} / ${r.drop.binderhub.repeated}, ${r.drop.binderhub.buildsRun} builds`,
    met:
      r.drop.ours.lost === 0 &&
      r.drop.ours.repeated === 0 &&
      r.drop.ours.buildsRun === 1
  });
  reportTarget({
    measure: `against BinderHub: cancel after a line (a line every ${r.cancelGapMs / 1000} s) → nothing of the build runs`,
    target: '≤ 1 s, no image left',
    result: `${seconds(r.cancel.ours.goneMs)} vs ${seconds(r.cancel.binderhub.goneMs)}; image left: ${r.cancel.ours.imageLeft ? 'yes' : 'no'} vs ${r.cancel.binderhub.imageLeft ? 'yes' : 'no'}`,
    met:
      r.cancel.ours.goneMs !== null &&
      r.cancel.ours.goneMs <= 1000 &&
      !r.cancel.ours.imageLeft
  });
}

const resultsDir = resolve(import.meta.dirname, 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
writeFileSync(join(resultsDir, `binderhub-${stamp}.txt`), report + '\n');
writeFileSync(
  join(resultsDir, `binderhub-${stamp}.json`),
  JSON.stringify(
    { startedAt, quick, runs: RUNS, engine, repo2dockerVersion, results },
    null,
    1
  )
);
log(`raw output in bench/results/binderhub-${stamp}.{txt,json}`);
