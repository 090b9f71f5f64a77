/**
 * Shared by both bench pages: the deterministic log generator, a macrotask pump that hands the
 * viewer one batch per task (as network reads would arrive), and the frame recorder.
 */

/** Lines per batch: the service writes its SSE events in batches of 1000 (log-stream.ts). */
export const BATCH = 1000;

export { generateLines, rng } from './lines';

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
