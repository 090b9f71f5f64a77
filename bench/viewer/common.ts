/**
 * Shared by both bench pages: the deterministic log generator, a macrotask pump that hands the
 * viewer one batch per task (as network reads would arrive), and the frame recorder.
 */

/** Lines per batch: the service writes its SSE events in batches of 1000 (log-stream.ts). */
export const BATCH = 1000;

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'Collecting Downloading Installing building wheel for numpy scipy pandas matplotlib ' +
  'requirements.txt /srv/conda/envs/notebook lib python3.11 site-packages done sha256 ' +
  'extracting layer exporting to image writing manifest resolving metadata using cached ' +
  'Successfully installed conda-forge noarch linux-64 Preparing transaction Verifying ' +
  'Executing RUN apt-get update apt-get install -y --no-install-recommends jupyterlab ' +
  'notebook ipykernel environment.yml postBuild start config kB MB/s eta 0:00:00 100%'
).split(' ');

/** SGR sequences used on coloured lines (named, bold, 256-colour, true colour). */
const COLOURS = [
  '\x1b[31m',
  '\x1b[32m',
  '\x1b[33m',
  '\x1b[34m',
  '\x1b[1;31m',
  '\x1b[1;32m',
  '\x1b[36m',
  '\x1b[35m',
  '\x1b[1m',
  '\x1b[38;5;208m',
  '\x1b[38;2;120;80;200m',
  '\x1b[90m'
];

/**
 * A BuildKit-like log of `n` lines (`#6 12.345 line-<k> words…`, 80–120 visible characters),
 * ~10% of them with ANSI colour codes. Calls `sink` once per line, in order.
 */
export function generateLines(
  n: number,
  sink: (line: string, index: number) => void
): void {
  const r = rng(0x5eed);
  let step = 5;
  let seconds = 0;
  for (let k = 0; k < n; k++) {
    if (r() < 0.0005) {
      step++;
    }
    seconds += r() * 0.004;
    const target = 80 + Math.floor(r() * 41);
    let line = `#${step} ${seconds.toFixed(3)} line-${k}`;
    const coloured = r() < 0.1;
    let visible = line.length;
    while (visible < target) {
      const word = WORDS[Math.floor(r() * WORDS.length)];
      const take = Math.min(word.length, target - visible - 1);
      if (take <= 0) {
        break;
      }
      const w = word.slice(0, take);
      if (coloured && r() < 0.3) {
        line += ' ' + COLOURS[Math.floor(r() * COLOURS.length)] + w + '\x1b[0m';
      } else {
        line += ' ' + w;
      }
      visible += 1 + take;
    }
    sink(line, k);
  }
}

/** Resolves in a new macrotask (MessageChannel: no setTimeout clamping). */
const channel = new MessageChannel();
const waiting: Array<() => void> = [];
channel.port1.onmessage = () => waiting.shift()?.();
export function nextTask(): Promise<void> {
  return new Promise(resolve => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

export function nextFrame(): Promise<number> {
  return new Promise(resolve => requestAnimationFrame(resolve));
}

/** The line number in the last `line-<k>` marker of `text`, or -1. */
export function lastMarker(text: string): number {
  const re = /line-(\d+)\b/g;
  let found = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    found = Number(m[1]);
  }
  return found;
}

export interface IFrameStats {
  steps: number;
  /** rAF timestamp deltas (ms), one per step. */
  deltas: number[];
  /** Main-thread time per frame (ms): from the frame's start (rAF timestamp) to a task posted
   * from its rAF callback, i.e. scroll events + rAF callbacks + style + layout + paint. */
  work: number[];
}

/**
 * Scroll in `steps` steps, one per animation frame: `apply(fraction)` is called in frame k with
 * k/steps. Returns rAF deltas and per-frame main-thread work.
 */
export async function scrollFrames(
  steps: number,
  apply: (fraction: number) => void
): Promise<IFrameStats> {
  const deltas: number[] = [];
  const work: number[] = [];
  await nextFrame();
  let prev = await nextFrame();
  for (let k = 1; k <= steps; k++) {
    const ts = await new Promise<number>(resolve =>
      requestAnimationFrame(t => {
        apply(k / steps);
        // A message posted here runs after this frame's rendering. Measured from the frame's
        // start (the rAF timestamp), so it includes the scroll events dispatched before rAF.
        const mc = new MessageChannel();
        mc.port1.onmessage = () => work.push(performance.now() - t);
        mc.port2.postMessage(0);
        resolve(t);
      })
    );
    deltas.push(ts - prev);
    prev = ts;
  }
  // Two more frames so the last step's render (one frame later) is included.
  for (let k = 0; k < 2; k++) {
    const ts = await nextFrame();
    deltas.push(ts - prev);
    prev = ts;
  }
  await nextTask();
  return { steps, deltas, work };
}

/** Idle rAF deltas: the frame interval of this browser with nothing to do. */
export async function idleFrames(count = 30): Promise<number[]> {
  const out: number[] = [];
  let prev = await nextFrame();
  for (let k = 0; k < count; k++) {
    const t = await nextFrame();
    out.push(t - prev);
    prev = t;
  }
  return out;
}

/** Long tasks seen since `start()` (PerformanceObserver 'longtask'). */
export class LongTasks {
  start(): void {
    this.entries = [];
    this._observer = new PerformanceObserver(list => {
      for (const e of list.getEntries()) {
        this.entries.push(e.duration);
      }
    });
    this._observer.observe({ type: 'longtask', buffered: false });
  }
  stop(): { count: number; max: number; total: number } {
    this._observer?.disconnect();
    const max = this.entries.length ? Math.max(...this.entries) : 0;
    const total = this.entries.reduce((a, b) => a + b, 0);
    return { count: this.entries.length, max, total };
  }
  entries: number[] = [];
  private _observer: PerformanceObserver | null = null;
}

export function gcAndHeap(): number {
  const g = (globalThis as unknown as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
  return (performance as unknown as { memory: { usedJSHeapSize: number } })
    .memory.usedJSHeapSize;
}

/** The host element both viewers are put in: 1200×800, fixed. */
export function host(): HTMLElement {
  const el = document.getElementById('host');
  if (!el) {
    throw new Error('no #host');
  }
  return el;
}
