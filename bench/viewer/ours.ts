/**
 * Bench page (a): our viewer. A `LogModel` fed through a fake `ILogStreamSource` whose Response
 * body is a ReadableStream of SSE bytes (the real fetch/SSE/JSON parsing path), shown by a
 * `BuildLogView` attached with Lumino to a 1200×800 host.
 *
 * In `service` mode (the benchmark's) those bytes are what the service itself sent for a finished
 * build: `prepare` reads the log route of the bench's replay server (replay-server.mts runs the
 * service's `streamBuildLog`) to the end, keeping each network read as it came; `run` then hands
 * them to the viewer one read per task, so the time measured runs from "data available".
 */
import '../../style/logs.css';
import './theme.css';
import { Widget } from '@lumino/widgets';
import type { BuildLogEvent } from '@jupyterlab-repo2docker/service/contract';
import {
  BuildLogView,
  LogModel,
  type ILogStreamSource
} from '../../src/logs/index';
import {
  BATCH,
  gcAndHeap,
  generateLines,
  host,
  idleFrames,
  lastMarker,
  LongTasks,
  nextFrame,
  nextTask,
  scrollFrames
} from './common';

/**
 * `service`: the service's own bytes for a finished build (see above).
 * `sse`: through a fake ILogStreamSource (fetch Response → LogStream's SSE and JSON parsing),
 * SSE made in the page with one line per event (a log as it was before the service batched).
 * `sse-multi`: the same with LINES_PER_EVENT lines per event, made in the page.
 * `direct`: `model.appendEvents(batch)` with events already parsed (what LogStream emits), to
 * split parsing from storing and rendering.
 */
type Mode = 'sse' | 'direct' | 'sse-multi' | 'service';

/** Lines per SSE event in `sse-multi`: about what the service's 5 ms batching gives a chatty build. */
const LINES_PER_EVENT = 200;

let mode: Mode = 'sse';
let chunks: Array<Uint8Array | null> = [];
let eventBatches: Array<BuildLogEvent[] | null> = [];
let total = 0;
let view: BuildLogView | null = null;

/** The log of a finished build of `n` lines from the replay server, as the network delivered it. */
async function prepareFromService(
  n: number
): Promise<{ genMs: number; bytes: number; reads: number }> {
  const t = performance.now();
  mode = 'service';
  chunks = [];
  eventBatches = [];
  total = n;
  const response = await fetch(`/api/builds/bench-${n}/logs`, {
    headers: { Accept: 'text/event-stream' }
  });
  if (!response.ok || !response.body) {
    throw new Error(`replay server: HTTP ${response.status}`);
  }
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
  return { genMs: performance.now() - t, bytes, reads: chunks.length };
}

/**
 * Make `n` lines as SSE text in the page, 1000 lines per chunk (or as events); `service`: fetch
 * what the service sends instead.
 */
function prepare(
  n: number,
  how: Mode = 'sse'
):
  | { genMs: number; bytes: number }
  | Promise<{ genMs: number; bytes: number; reads: number }> {
  if (how === 'service') {
    return prepareFromService(n);
  }
  const t = performance.now();
  const encoder = new TextEncoder();
  const base = Date.parse('2026-01-01T00:00:00Z');
  let parts: string[] = [];
  let events: BuildLogEvent[] = [];
  let group: string[] = [];
  let bytes = 0;
  mode = how;
  chunks = [];
  eventBatches = [];
  total = n;
  generateLines(n, (line, k) => {
    const seq = k + 1;
    const event: BuildLogEvent = {
      seq,
      phase: k === n - 1 ? 'built' : 'building',
      message: line,
      time: new Date(base + k).toISOString()
    };
    if (how === 'direct') {
      events.push(event);
      bytes += line.length;
    } else if (how === 'sse-multi') {
      group.push(line);
      if (group.length === LINES_PER_EVENT || k === n - 1) {
        const multi = { ...event, message: group.join('\n') };
        parts.push(
          `event: log\nid: ${seq}\ndata: ${JSON.stringify(multi)}\n\n`
        );
        group = [];
      }
    } else {
      parts.push(`event: log\nid: ${seq}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    const full =
      how === 'sse-multi'
        ? (k + 1) % BATCH === 0
        : parts.length === BATCH || events.length === BATCH;
    if (full || k === n - 1) {
      if (how === 'direct') {
        eventBatches.push(events);
        events = [];
      } else {
        const chunk = encoder.encode(parts.join(''));
        bytes += chunk.byteLength;
        chunks.push(chunk);
        parts = [];
      }
    }
  });
  return { genMs: performance.now() - t, bytes };
}

function rowsLayer(): HTMLElement {
  return host().querySelector('.jp-Repo2DockerLog-rows') as HTMLElement;
}

function viewportEl(): HTMLElement {
  return host().querySelector('.jp-Repo2DockerLog-viewport') as HTMLElement;
}

/** Line markers of the rows shown (display not none), in DOM order. */
function shownMarkers(): number[] {
  const out: number[] = [];
  for (const row of Array.from(rowsLayer()?.children ?? []) as HTMLElement[]) {
    if (row.style.display === 'none' || row.style.visibility === 'hidden') {
      continue;
    }
    const m = lastMarker(row.textContent ?? '');
    if (m >= 0) {
      out.push(m);
    }
  }
  return out;
}

/** Markers of the rows that intersect the viewport's visible box. */
function visibleMarkers(): number[] {
  const vp = viewportEl().getBoundingClientRect();
  const out: number[] = [];
  for (const row of Array.from(rowsLayer().children) as HTMLElement[]) {
    if (row.style.display === 'none') {
      continue;
    }
    const r = row.getBoundingClientRect();
    if (r.bottom > vp.top + 1 && r.top < vp.bottom - 1) {
      const m = lastMarker(row.textContent ?? '');
      if (m >= 0) {
        out.push(m);
      }
    }
  }
  return out;
}

/** Diagnostic what-ifs (diagnose.mjs only; the benchmark runs without them). */
interface IWhatIf {
  /** No view: only the model ingests (the floor of the load time). */
  noView?: boolean;
  /** Coalesce the view's update requests to one per animation frame. */
  coalesce?: boolean;
}

async function run(
  capMs: number,
  whatIf: IWhatIf = {}
): Promise<Record<string, unknown>> {
  const longTasks = new LongTasks();
  longTasks.start();
  const t0 = performance.now();
  let next = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (next >= chunks.length) {
          controller.close();
          return;
        }
        await nextTask(); // one network read per task
        const chunk = chunks[next] as Uint8Array;
        chunks[next++] = null;
        controller.enqueue(chunk);
      }
    },
    { highWaterMark: 0 }
  );
  const source: ILogStreamSource = {
    openLogStream: async () =>
      new Response(stream, {
        status: 200,
        headers: { 'Content-Type': 'text/event-stream; charset=utf-8' }
      })
  };
  const model = new LogModel({
    buildId: 'bench',
    source: mode === 'direct' ? undefined : source,
    streamOptions: { idleTimeout: 0 }
  });
  if (whatIf.noView) {
    if (mode !== 'direct') {
      void model.start();
    }
  } else {
    view = new BuildLogView({ buildId: 'bench', label: 'bench', model });
    if (whatIf.coalesce) {
      let pending = false;
      const v = view;
      v.update = () => {
        if (!pending) {
          pending = true;
          requestAnimationFrame(() => {
            pending = false;
            v.renderNow();
          });
        }
      };
    }
    Widget.attach(view, host());
  }
  if (mode === 'direct') {
    void (async () => {
      for (let i = 0; i < eventBatches.length; i++) {
        await nextTask(); // one LogStream emission per task
        const batch = eventBatches[i] as BuildLogEvent[];
        eventBatches[i] = null;
        model.appendEvents(batch);
      }
    })();
  }

  let firstPaint = -1;
  let frames = 0;
  for (;;) {
    await nextFrame();
    frames++;
    const now = performance.now();
    if (firstPaint < 0 && view && shownMarkers().length > 0) {
      firstPaint = now - t0;
    }
    const status = model.connection.status;
    if (status === 'error') {
      throw new Error(`stream error: ${JSON.stringify(model.connection)}`);
    }
    if (
      (status === 'ended' || (mode === 'direct' && model.isFinal)) &&
      model.lineCount >= total
    ) {
      if (whatIf.noView) {
        return {
          capped: false,
          ms: performance.now() - t0,
          lines: model.lineCount,
          frames
        };
      }
      const shown = visibleMarkers();
      if (shown.length && shown[shown.length - 1] === total - 1) {
        break;
      }
    }
    if (now - t0 > capMs) {
      return { capped: true, ms: now - t0, lines: model.lineCount };
    }
  }
  await nextFrame(); // the frame with the last line has been painted
  const ms = performance.now() - t0;
  const lt = longTasks.stop();
  const vp = viewportEl();
  return {
    capped: false,
    ms,
    firstPaintMs: firstPaint,
    frames,
    lines: model.lineCount,
    following: view?.following,
    atBottom: Math.abs(vp.scrollTop - (vp.scrollHeight - vp.clientHeight)) <= 2,
    spacerHeight: vp.scrollHeight,
    rowHeight: view?.rowHeight,
    storeBytes: model.lines.byteEstimate,
    domRows: rowsLayer().children.length,
    longTasks: lt
  };
}

function release(): void {
  chunks = [];
  eventBatches = [];
}

async function scroll(steps: number): Promise<Record<string, unknown>> {
  const vp = viewportEl();
  vp.scrollTop = 0;
  for (let k = 0; k < 4; k++) {
    await nextFrame();
  }
  const topFirst = visibleMarkers()[0];
  const max = vp.scrollHeight - vp.clientHeight;
  const stats = await scrollFrames(steps, f => {
    vp.scrollTop = f * max;
  });
  const bottom = visibleMarkers();
  // Spot check: half way.
  vp.scrollTop = max / 2;
  for (let k = 0; k < 4; k++) {
    await nextFrame();
  }
  const mid = visibleMarkers();
  const rows = Math.floor(vp.clientHeight / (view?.rowHeight ?? 17));
  return {
    ...stats,
    topFirst,
    bottomLast: bottom[bottom.length - 1],
    midFirst: mid[0],
    midExpected: Math.round((total - rows) * 0.5),
    visibleRows: mid.length
  };
}

(window as unknown as { bench: unknown }).bench = {
  kind: 'ours',
  prepare,
  run,
  release,
  heap: gcAndHeap,
  scroll,
  idleFrames,
  /** For diagnostics (profile.mjs): the view and model of the last run. */
  view: () => view
};
