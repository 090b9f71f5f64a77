/**
 * The state of one build log: its lines, phase, progress, times, connection and search.
 * Views read it and listen to its signals; it knows nothing of the DOM.
 */

import type {
  BuildLogEvent,
  BuildPhase,
  BuildProgress
} from '@jupyterlab-repo2docker/service/contract';
import type { ITranslator } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { normalizeBlock, normalizeLine, type IHighlight } from './ansi';
import { LogLines, Uint32Vector } from './lineStore';
import { isFinalPhase, LogStream, type IReceivedLogEvent } from './logStream';
import type { ConnectionState, ILogStreamSource } from './tokens';

/**
 * A line that says a build went wrong: BuildKit's `#6 ERROR: …` and `ERROR: failed to solve`,
 * `error:` from tools, a non-zero exit code, a Python traceback.
 */
const ERROR_LINE =
  /(?:^|\s)ERROR\b|\b[Ee]rror:|exit code: [1-9]|non-zero (?:exit )?(?:code|status)|^Traceback \(most recent/;

/** Whether a log line (plain text) reports an error. */
export function isErrorLine(line: string): boolean {
  return ERROR_LINE.test(line);
}

/**
 * `ERROR_LINE` for the store's chunks (lines joined by `\n`): `^` at every line start, and the
 * space before `ERROR` looked behind rather than matched, so a match starts on its own line.
 */
const ERROR_IN_LINES =
  /(?:^|(?<=\s))ERROR\b|\b[Ee]rror:|exit code: [1-9]|non-zero (?:exit )?(?:code|status)|^Traceback \(most recent/gm;

/**
 * Lines scanned for the first error as they arrive; a larger batch (a replayed log) is scanned
 * when the page is idle, after its lines are on screen: the regular expression costs about as
 * much as storing the lines.
 */
const ERROR_SCAN_NOW = 512;
/** Lines scanned per step of the idle scan (which also settles the blocks it reads). */
const ERROR_SCAN_STEP = 1000;

/**
 * An event of at least this many characters (a replayed log's, hundreds of lines) is stored as
 * it came and settled (escape codes stripped, carriage returns resolved) when first read, rather
 * than on arrival: a million-line log spent a quarter of its load in that. Up to the largest
 * chunk the store keeps whole.
 */
const LAZY_BLOCK_CHARS = 8 * 1024;
const MAX_LAZY_BLOCK_CHARS = 4 * 1024 * 1024;

/** Most matches kept for one search; beyond it the count shows as "N+". */
export const MAX_MATCHES = 1_000_000;

export namespace LogModel {
  export interface IOptions {
    buildId: string;
    /** Where the log comes from; without it the model is fed by `appendEvents` only. */
    source?: ILogStreamSource;
    translator?: ITranslator;
    /** Passed to the `LogStream` (backoff and the like). */
    streamOptions?: Partial<
      Omit<LogStream.IOptions, 'buildId' | 'source' | 'translator'>
    >;
  }

  /** Lines were added: `[from, to)`. */
  export interface ILinesAdded {
    from: number;
    to: number;
  }

  /** A search match. */
  export interface IMatch {
    line: number;
    column: number;
    length: number;
  }

  export interface ISearchState {
    query: string;
    /** Matches found (at most `MAX_MATCHES`). */
    total: number;
    /** True when there were more matches than are kept. */
    capped: boolean;
    /** Index of the current match in `[0, total)`, or -1 when none. */
    current: number;
  }
}

/** The model of one build's log. */
export class LogModel {
  constructor(options: LogModel.IOptions) {
    this.buildId = options.buildId;
    this._source = options.source ?? null;
    this._translator = options.translator;
    this._streamOptions = options.streamOptions ?? {};
  }

  readonly buildId: string;

  /** Every line of the log (plain text, and raw text for lines with ANSI codes). */
  readonly lines = new LogLines();

  get lineCount(): number {
    return this.lines.length;
  }

  /** Phase of the last event, `null` before the first. */
  get phase(): BuildPhase | null {
    return this._phase;
  }

  /** Last progress reported, if any. */
  get progress(): BuildProgress | null {
    return this._progress;
  }

  /** Whether the build reached a final phase. */
  get isFinal(): boolean {
    return isFinalPhase(this._phase);
  }

  /** Service time (epoch ms) of the first event, `null` before it. */
  get startedAt(): number | null {
    return this._startedAt;
  }

  /** Service time (epoch ms) of the final event, `null` while running. */
  get finishedAt(): number | null {
    return this._finishedAt;
  }

  /** Number of events received. */
  get eventCount(): number {
    return this._eventCount;
  }

  /**
   * Build time so far in ms: ticks while running (corrected for the clock difference between
   * browser and service), fixed once final; `null` before the first event.
   */
  elapsed(now: number = Date.now()): number | null {
    if (this._startedAt === null) {
      return null;
    }
    const end =
      this._finishedAt ??
      now - (Number.isFinite(this._clockOffset) ? this._clockOffset : 0);
    return Math.max(0, end - this._startedAt);
  }

  /** State of the connection to the log stream. */
  get connection(): ConnectionState {
    return this._connection;
  }

  /**
   * The first line (0-based) that reports an error, `null` while none did. Scans the lines not
   * scanned yet first (see `knownErrorLine`).
   */
  get firstErrorLine(): number | null {
    this._scanErrors(Infinity);
    return this._firstErrorLine;
  }

  /**
   * The first error line found so far, without scanning: what views draw each frame. A long
   * batch is scanned in the background; `stateChanged` is emitted when it finds the error.
   */
  get knownErrorLine(): number | null {
    return this._firstErrorLine;
  }

  /** Lines were appended (once per batch of events). */
  get linesAdded(): ISignal<this, LogModel.ILinesAdded> {
    return this._linesAdded;
  }

  /**
   * The build's phase changed (once per batch of events, with the phase after it). Others (the
   * Environments panel) learn from it when a build ends without waiting for their own poll.
   */
  get phaseChanged(): ISignal<this, BuildPhase> {
    return this._phaseChanged;
  }

  /** Phase, progress, times or connection changed. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The search query, its matches or the current match changed. */
  get searchChanged(): ISignal<this, void> {
    return this._searchChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Open the log stream (once; later calls do nothing). Resolves when it stops. */
  start(): Promise<void> {
    if (this._stream || this._disposed || !this._source) {
      return this._stream?.start() ?? Promise.resolve();
    }
    const stream = new LogStream({
      ...this._streamOptions,
      buildId: this.buildId,
      source: this._source,
      translator: this._translator
    });
    this._stream = stream;
    stream.received.connect((_, events) => this.appendEvents(events), this);
    stream.stateChanged.connect((_, state) => {
      this._connection = state;
      this._stateChanged.emit();
    }, this);
    return stream.start();
  }

  /** The stream, once started. */
  get stream(): LogStream | null {
    return this._stream;
  }

  /** Add events (in order) to the log. */
  appendEvents(events: readonly (BuildLogEvent | IReceivedLogEvent)[]): void {
    if (this._disposed || events.length === 0) {
      return;
    }
    const from = this.lines.length;
    const phaseBefore = this._phase;
    const now = Date.now();
    for (const event of events) {
      this._eventCount++;
      const time = Date.parse(event.time);
      if (Number.isFinite(time)) {
        if (this._startedAt === null) {
          this._startedAt = time;
        }
        this._clockOffset = Math.min(this._clockOffset, now - time);
        if (isFinalPhase(event.phase) && this._finishedAt === null) {
          this._finishedAt = time;
        }
      } else if (this._startedAt === null) {
        this._startedAt = now;
        this._clockOffset = 0;
      }
      this._phase = event.phase;
      if (event.progress) {
        this._progress = event.progress;
      }
      if (isFinalPhase(event.phase) && this._finishedAt === null) {
        this._finishedAt =
          now - (Number.isFinite(this._clockOffset) ? this._clockOffset : 0);
      }
      const encoded = 'encoded' in event ? event.encoded : undefined;
      if (encoded && encoded.literal.length <= MAX_LAZY_BLOCK_CHARS) {
        // Still JSON: decoded and settled when first read.
        this.lines.appendEncoded(encoded.literal, encoded.lines);
        continue;
      }
      const message = event.message;
      if (message.indexOf('\n') === -1) {
        this._appendLine(message);
      } else if (
        message.length >= LAZY_BLOCK_CHARS &&
        message.length <= MAX_LAZY_BLOCK_CHARS
      ) {
        // Settled when first read: a replay is on screen once its line breaks are counted.
        this.lines.appendText(message);
      } else {
        const block = normalizeBlock(message);
        if (block) {
          this.lines.appendBlock(block);
        } else {
          for (const line of message.split('\n')) {
            this._appendLine(line);
          }
        }
      }
    }
    const to = this.lines.length;
    if (to > from) {
      if (to - this._errorScannedTo <= ERROR_SCAN_NOW) {
        this._scanErrors(Infinity);
      } else {
        this._scheduleErrorScan();
      }
      this._searchNewLines();
      this._linesAdded.emit({ from, to });
    }
    this._stateChanged.emit();
    if (this._phase !== null && this._phase !== phaseBefore) {
      this._phaseChanged.emit(this._phase);
    }
  }

  private _appendLine(line: string): void {
    const { plain, raw } = normalizeLine(line);
    this.lines.append(plain, raw);
  }

  /**
   * Scan at most `maxLines` lines not scanned yet for the first error. Returns whether lines
   * are left to scan.
   */
  private _scanErrors(maxLines: number): boolean {
    const to = this.lines.length;
    if (this._firstErrorLine !== null) {
      this._errorScannedTo = to;
      return false;
    }
    const from = this._errorScannedTo;
    const end = Math.min(to, from + maxLines);
    if (from >= end) {
      return false;
    }
    this.lines.search(ERROR_IN_LINES, from, end, line => {
      this._firstErrorLine = line;
      return false;
    });
    this._errorScannedTo = this._firstErrorLine !== null ? to : end;
    return this._errorScannedTo < to;
  }

  /** Scan the rest for the first error in steps, when the page is idle (or soon, at the latest). */
  private _scheduleErrorScan(): void {
    if (this._errorScan !== null || this._disposed) {
      return;
    }
    // Within the idle time the browser gives (a frame's leftover), so scrolling stays smooth
    // while a long log is scanned; one step when the idle period never comes (timeout).
    const step = (deadline?: IdleDeadline): void => {
      this._errorScan = null;
      if (this._disposed) {
        return;
      }
      const wait = this._quietUntil - Date.now();
      if (wait > 0) {
        // The user is scrolling: settling and scanning blocks would cost frames; go on after.
        const id = setTimeout(() => {
          this._errorScan = null;
          this._scheduleErrorScan();
        }, wait);
        this._errorScan = () => clearTimeout(id);
        return;
      }
      const started = Date.now();
      const budget = (): boolean =>
        deadline && !deadline.didTimeout
          ? deadline.timeRemaining() > 2
          : Date.now() - started < 4;
      let more = this._scanErrors(ERROR_SCAN_STEP);
      while (more && budget()) {
        more = this._scanErrors(ERROR_SCAN_STEP);
      }
      if (this._firstErrorLine !== null) {
        this._stateChanged.emit();
      } else if (more) {
        this._scheduleErrorScan();
      }
    };
    const idle = (
      globalThis as {
        requestIdleCallback?: (
          cb: (deadline: IdleDeadline) => void,
          options?: { timeout: number }
        ) => number;
        cancelIdleCallback?: (id: number) => void;
      }
    ).requestIdleCallback;
    if (typeof idle === 'function') {
      const id = idle(step, { timeout: 1000 });
      this._errorScan = () =>
        (
          globalThis as { cancelIdleCallback?: (id: number) => void }
        ).cancelIdleCallback?.(id);
    } else {
      const id = setTimeout(step, 0);
      this._errorScan = () => clearTimeout(id);
    }
  }

  /**
   * Hold the background scan for `ms` (the view calls this while the user scrolls: each frame
   * then has the main thread to itself, and the scan goes on once scrolling stops).
   */
  deferBackgroundWork(ms = 300): void {
    this._quietUntil = Math.max(this._quietUntil, Date.now() + ms);
  }

  /**
   * Open the stream again after it gave up (the service was away too long), resuming after
   * the last event received. Does nothing while the stream is still trying or has ended.
   */
  retry(): Promise<void> {
    const state = this._connection;
    if (
      this._disposed ||
      !this._source ||
      state.status !== 'error' ||
      state.code !== 'gave_up'
    ) {
      return Promise.resolve();
    }
    const lastEventId = this._stream?.lastEventId ?? null;
    this._stream?.dispose();
    this._stream = null;
    this._streamOptions = { ...this._streamOptions, lastEventId };
    return this.start();
  }

  // ---- search ------------------------------------------------------------------------------

  /** Current search state. */
  get search(): LogModel.ISearchState {
    return {
      query: this._query,
      total: this._matchLines.length,
      capped: this._capped,
      current: this._current
    };
  }

  /** The pattern of the current query (global, case-insensitive), or `null` when empty. */
  get searchPattern(): RegExp | null {
    return this._pattern;
  }

  /** Bumped whenever the matches or the current match change (views cache on it). */
  get searchVersion(): number {
    return this._searchVersion;
  }

  /**
   * Search for `query` (plain text, case-insensitive). The current match becomes the first one
   * at or after line `fromLine` (wrapping to the first).
   */
  setQuery(query: string, fromLine = 0): void {
    if (query === this._query) {
      return;
    }
    this._query = query;
    this._matchLines = new Uint32Vector(1024);
    this._matchColumns = new Uint32Vector(1024);
    this._capped = false;
    this._searchedTo = 0;
    this._current = -1;
    this._pattern = query ? new RegExp(escapeRegExp(query), 'gi') : null;
    this._searchNewLines();
    if (this._matchLines.length > 0) {
      const k = this._matchLines.lowerBound(Math.max(0, fromLine));
      this._current = k < this._matchLines.length ? k : 0;
    }
    this._searchVersion++;
    this._searchChanged.emit();
  }

  /** The current match, or `null`. */
  get currentMatch(): LogModel.IMatch | null {
    return this._current < 0 ? null : this.matchAt(this._current);
  }

  /** Match `k` in `[0, total)`. */
  matchAt(k: number): LogModel.IMatch {
    return {
      line: this._matchLines.get(k),
      column: this._matchColumns.get(k),
      length: this._query.length
    };
  }

  /** Go to the next match (wrapping to the first); returns it. */
  nextMatch(): LogModel.IMatch | null {
    return this._step(1);
  }

  /** Go to the previous match (wrapping to the last); returns it. */
  previousMatch(): LogModel.IMatch | null {
    return this._step(-1);
  }

  /** Make match `k` current. */
  setCurrentMatch(k: number): void {
    const total = this._matchLines.length;
    if (total === 0) {
      return;
    }
    this._current = ((k % total) + total) % total;
    this._searchVersion++;
    this._searchChanged.emit();
  }

  /** Highlights of line `i` for the view: every match on it, the current one marked. */
  highlightsFor(i: number): IHighlight[] {
    const lines = this._matchLines;
    if (lines.length === 0) {
      return [];
    }
    const result: IHighlight[] = [];
    const length = this._query.length;
    for (
      let k = lines.lowerBound(i);
      k < lines.length && lines.get(k) === i;
      k++
    ) {
      const start = this._matchColumns.get(k);
      result.push({ start, end: start + length, current: k === this._current });
    }
    return result;
  }

  private _step(direction: 1 | -1): LogModel.IMatch | null {
    const total = this._matchLines.length;
    if (total === 0) {
      return null;
    }
    const next =
      this._current < 0
        ? direction > 0
          ? 0
          : total - 1
        : this._current + direction;
    this.setCurrentMatch(next);
    return this.currentMatch;
  }

  /** Extend the matches over lines not searched yet. */
  private _searchNewLines(): void {
    const pattern = this._pattern;
    const to = this.lines.length;
    if (!pattern || this._capped || this._searchedTo >= to) {
      this._searchedTo = Math.max(this._searchedTo, to);
      return;
    }
    const before = this._matchLines.length;
    this.lines.search(pattern, this._searchedTo, to, (line, column) => {
      if (this._matchLines.length >= MAX_MATCHES) {
        this._capped = true;
        return false;
      }
      this._matchLines.push(line);
      this._matchColumns.push(column);
    });
    this._searchedTo = to;
    if (this._matchLines.length !== before) {
      if (this._current < 0) {
        this._current = 0;
      }
      this._searchVersion++;
      this._searchChanged.emit();
    }
  }

  // ---- whole text ----------------------------------------------------------------------------

  /** The whole log as plain text (no ANSI codes), lines joined by `\n`. */
  plainText(): string {
    return this.lines.toString();
  }

  /** The whole log as a `text/plain` Blob, built from the store's chunks without one big string. */
  toBlob(): Blob {
    const parts = this.lines.toParts();
    if (this.lines.length > 0) {
      parts.push('\n');
    }
    return new Blob(parts, { type: 'text/plain;charset=utf-8' });
  }

  /** Stop the stream and drop the lines. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._errorScan?.();
    this._errorScan = null;
    this._stream?.dispose();
    Signal.clearData(this);
    this.lines.clear();
  }

  private _source: ILogStreamSource | null;
  private _translator: ITranslator | undefined;
  private _streamOptions: LogModel.IOptions['streamOptions'];
  private _stream: LogStream | null = null;
  private _phase: BuildPhase | null = null;
  private _progress: BuildProgress | null = null;
  private _startedAt: number | null = null;
  private _finishedAt: number | null = null;
  /** Browser clock minus service clock, estimated as the smallest delay seen (ms). */
  private _clockOffset = Infinity;
  private _eventCount = 0;
  private _connection: ConnectionState = { status: 'idle' };
  private _firstErrorLine: number | null = null;
  /** Lines `[0, _errorScannedTo)` were scanned for the first error. */
  private _errorScannedTo = 0;
  /** No background scan before this time (epoch ms), see `deferBackgroundWork`. */
  private _quietUntil = 0;
  /** Cancels the pending background scan, if one is scheduled. */
  private _errorScan: (() => void) | null = null;
  private _query = '';
  private _pattern: RegExp | null = null;
  private _matchLines = new Uint32Vector(16);
  private _matchColumns = new Uint32Vector(16);
  private _capped = false;
  private _searchedTo = 0;
  private _current = -1;
  private _searchVersion = 0;
  private _disposed = false;
  private _linesAdded = new Signal<this, LogModel.ILinesAdded>(this);
  private _stateChanged = new Signal<this, void>(this);
  private _phaseChanged = new Signal<this, BuildPhase>(this);
  private _searchChanged = new Signal<this, void>(this);
}

/** Escape `text` for use as a literal in a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
