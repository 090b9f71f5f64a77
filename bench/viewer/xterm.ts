/**
 * Bench page (b): xterm.js, the viewer of BinderHub and tljh-repo2docker, in the same 1200×800
 * host, with the same code font, written the same lines (`\r\n`) in the same 1000-line batches,
 * one batch per task. Default renderer (DOM in xterm 5), scrollback large enough for every line.
 */
import '@xterm/xterm/css/xterm.css';
import './theme.css';
import { Terminal } from '@xterm/xterm';
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

const FONT = "Menlo, Consolas, 'DejaVu Sans Mono', monospace";
/** Our viewer's row height (13px × 1.3077 rounded up): xterm rows are made as tall. */
const ROW = 17;

let batches: Array<string | null> = [];
let total = 0;
let term: Terminal | null = null;

function prepare(n: number): { genMs: number; bytes: number } {
  const t = performance.now();
  let parts: string[] = [];
  let bytes = 0;
  batches = [];
  total = n;
  generateLines(n, (line, k) => {
    parts.push(line);
    if (parts.length === BATCH || k === n - 1) {
      const text = parts.join('\r\n') + (k === n - 1 ? '' : '\r\n');
      bytes += text.length;
      batches.push(text);
      parts = [];
    }
  });
  return { genMs: performance.now() - t, bytes };
}

function rowsEl(): HTMLElement {
  return host().querySelector('.xterm-rows') as HTMLElement;
}

function markers(): number[] {
  const out: number[] = [];
  for (const row of Array.from(rowsEl()?.children ?? [])) {
    const m = lastMarker(row.textContent ?? '');
    if (m >= 0) {
      out.push(m);
    }
  }
  return out;
}

/** What FitAddon does: cols and rows that fill the host. */
function fit(t: Terminal): void {
  const core = (t as any)._core;
  const cell = core._renderService.dimensions.css.cell;
  if (!cell.width || !cell.height) {
    return;
  }
  const box = host().getBoundingClientRect();
  const scrollbar = core.viewport?.scrollBarWidth ?? 15;
  const cols = Math.max(2, Math.floor((box.width - scrollbar) / cell.width));
  const rows = Math.max(1, Math.floor(box.height / cell.height));
  t.resize(cols, rows);
}

async function run(capMs: number): Promise<Record<string, unknown>> {
  const longTasks = new LongTasks();
  longTasks.start();
  const t0 = performance.now();
  term = new Terminal({
    scrollback: 2_100_000,
    fontFamily: FONT,
    fontSize: 13
  });
  term.open(host());

  const cellHeight = (term as any)._core._renderService.dimensions.css.cell
    .height;
  if (cellHeight > 0 && cellHeight < ROW) {
    term.options.lineHeight = ROW / cellHeight;
  }
  fit(term);

  let written = false;
  const feeding = (async () => {
    for (let i = 0; i < batches.length; i++) {
      await nextTask();
      const text = batches[i] as string;
      batches[i] = null;
      term!.write(
        text,
        i === batches.length - 1 ? () => (written = true) : undefined
      );
    }
  })();
  let firstPaint = -1;
  let frames = 0;
  for (;;) {
    await nextFrame();
    frames++;
    const now = performance.now();
    if (firstPaint < 0 && markers().length > 0) {
      firstPaint = now - t0;
    }
    if (written) {
      const m = markers();
      if (m.length && m[m.length - 1] === total - 1) {
        break;
      }
    }
    if (now - t0 > capMs) {
      return {
        capped: true,
        ms: now - t0,
        lines: term.buffer.active.length,
        cols: term.cols,
        rows: term.rows
      };
    }
  }
  await feeding;
  await nextFrame();
  const ms = performance.now() - t0;
  return {
    capped: false,
    ms,
    firstPaintMs: firstPaint,
    frames,
    lines: term.buffer.active.length,
    baseY: term.buffer.active.baseY,
    cols: term.cols,
    rows: term.rows,
    longTasks: longTasks.stop()
  };
}

function release(): void {
  batches = [];
}

async function scroll(steps: number): Promise<Record<string, unknown>> {
  const t = term!;
  t.scrollToTop();
  for (let k = 0; k < 4; k++) {
    await nextFrame();
  }
  const topFirst = markers()[0];
  const base = t.buffer.active.baseY;
  const stats = await scrollFrames(steps, f =>
    t.scrollToLine(Math.round(f * base))
  );
  const bottom = markers();
  t.scrollToLine(Math.round(base / 2));
  for (let k = 0; k < 4; k++) {
    await nextFrame();
  }
  const mid = markers();
  return {
    ...stats,
    topFirst,
    bottomLast: bottom[bottom.length - 1],
    midFirst: mid[0],
    midExpected: Math.round(base / 2),
    visibleRows: mid.length
  };
}

(window as unknown as { bench: unknown }).bench = {
  kind: 'xterm',
  prepare,
  run,
  release,
  heap: gcAndHeap,
  scroll,
  idleFrames
};
