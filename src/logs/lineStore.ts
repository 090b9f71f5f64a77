import { settleBlock } from './ansi';
import { decodeJsonLiteral } from './jsonMessage';

/**
 * Compact storage for a log of any length.
 *
 * Lines are not kept as one object each: they are packed into chunk strings (the lines of a chunk
 * joined by `\n`) with one `Uint32Array` of end offsets, so a line costs its characters plus four
 * bytes. A million 60-character lines take about 64 MB. Only the chunk still being filled keeps
 * its lines in an array, until it is sealed.
 *
 * A long block of lines can be stored unsettled (`appendLazy`): as it came, with only its line
 * ends indexed, and turned into its final text by a `settle` function the first time anything
 * reads, searches or exports it. A replayed log of a million lines is on screen once its line
 * breaks are counted; the rest of the work is done for the chunks that are read (a screenful),
 * and for the others when the page is idle.
 */

/** Lines per chunk. */
const CHUNK_LINES = 4096;
/** A chunk is sealed early once it holds this many characters (V8 caps one string at ~2^29). */
const CHUNK_CHARS = 4 * 1024 * 1024;
/**
 * A block of lines at least this long becomes a chunk of its own, as it is: no copy, no join
 * (a replayed log's events hold hundreds of lines each). Shorter blocks go line by line.
 */
const OWN_CHUNK_CHARS = 8 * 1024;

/** A growable array of unsigned 32-bit integers. */
export class Uint32Vector {
  constructor(initialCapacity = 1024) {
    this._data = new Uint32Array(Math.max(1, initialCapacity));
  }

  get length(): number {
    return this._length;
  }

  get(i: number): number {
    return this._data[i];
  }

  set(i: number, value: number): void {
    this._data[i] = value;
  }

  push(value: number): void {
    if (this._length === this._data.length) {
      const next = new Uint32Array(this._data.length * 2);
      next.set(this._data);
      this._data = next;
    }
    this._data[this._length++] = value;
  }

  clear(): void {
    this._length = 0;
    this._data = new Uint32Array(1024);
  }

  /** Index of the first element `>= value` (the vector must be sorted). */
  lowerBound(value: number): number {
    let lo = 0;
    let hi = this._length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this._data[mid] < value) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Memory held, in bytes. */
  get byteLength(): number {
    return this._data.byteLength;
  }

  private _data: Uint32Array;
  private _length = 0;
}

/** Receives one match: its line and the column where it starts. Return `false` to stop. */
export type MatchCallback = (line: number, column: number) => boolean | void;

/**
 * Turns the text of an unsettled chunk (lines joined by `\n`) into its final text, with exactly
 * as many lines; `chunk` is its index, for whoever keeps more about it.
 */
export type SettleChunk = (chunk: number, text: string) => string;

/** An append-only list of lines (each without `\n`). */
export class LineStore {
  /** `settle`: what `appendLazy` blocks become when first read (without it, they stay as they are). */
  constructor(settle: SettleChunk | null = null) {
    this._settle = settle;
  }

  /** Number of lines. */
  get length(): number {
    return this._length;
  }

  /** Number of characters, not counting line breaks. */
  get characters(): number {
    return this._characters;
  }

  /** Approximate memory held, in bytes (strings counted at one byte per character). */
  get byteEstimate(): number {
    return (
      this._characters +
      this._length +
      this._ends.byteLength +
      this._chunkStarts.byteLength
    );
  }

  /** Append one line; `line` must not contain `\n`. */
  append(line: string): void {
    if (
      this._open.length >= CHUNK_LINES ||
      (this._open.length > 0 && this._openChars + line.length > CHUNK_CHARS)
    ) {
      this._seal();
    }
    if (this._open.length === 0) {
      this._chunkStarts.push(this._length);
      this._openChars = 0;
    } else {
      this._openChars += 1; // the separator
    }
    this._openChars += line.length;
    this._open.push(line);
    this._openText = null;
    this._ends.push(this._openChars);
    this._length++;
    this._characters += line.length;
  }

  /**
   * Append several lines at once: `text` is the lines joined by `\n` (so `''` is one empty line).
   * A long block is kept as one chunk, and only its line ends are indexed.
   */
  appendBlock(text: string): void {
    if (text.length < OWN_CHUNK_CHARS || text.length > CHUNK_CHARS) {
      let start = 0;
      for (
        let nl = text.indexOf('\n');
        nl !== -1;
        nl = text.indexOf('\n', start)
      ) {
        this.append(text.slice(start, nl));
        start = nl + 1;
      }
      this.append(text.slice(start));
      return;
    }
    if (this._open.length > 0) {
      this._seal();
    }
    this._appendOwnChunk(text);
  }

  /** `text` (lines joined by `\n`) becomes a sealed chunk of its own; only its line ends are indexed. */
  private _appendOwnChunk(text: string): void {
    this._chunkStarts.push(this._length);
    this._chunks.push(text);
    let count = 1;
    for (
      let nl = text.indexOf('\n');
      nl !== -1;
      nl = text.indexOf('\n', nl + 1)
    ) {
      this._ends.push(nl);
      count++;
    }
    this._ends.push(text.length);
    this._length += count;
    this._characters += text.length - (count - 1);
  }

  /** Give chunk `c` its settled text (once), and index its lines again. */
  private _settleChunk(c: number): void {
    if (!this._unsettled.has(c) || !this._settle) {
      return;
    }
    this._unsettled.delete(c);
    const before = this._chunks[c];
    const text = this._settle(c, before);
    const first = this._chunkStarts.get(c);
    const end =
      c + 1 < this._chunkStarts.length
        ? this._chunkStarts.get(c + 1)
        : this._length;
    this._lazyLines -= end - first;
    if (text === before && !this._unindexed.delete(c)) {
      return; // indexed on arrival, and unchanged
    }
    this._unindexed.delete(c);
    let line = first;
    for (
      let nl = text.indexOf('\n');
      nl !== -1 && line < end - 1;
      nl = text.indexOf('\n', nl + 1)
    ) {
      this._ends.set(line++, nl);
    }
    // A settled text with fewer lines than counted (only from input that was not valid) gets
    // empty ones; one with more keeps the rest on its last line.
    let settled = text;
    while (line < end - 1) {
      this._ends.set(line++, settled.length);
      settled += '\n';
    }
    this._ends.set(line, settled.length);
    this._chunks[c] = settled;
    this._characters += settled.length - before.length;
  }

  /**
   * Append a long block of lines (joined by `\n`) as one chunk, unsettled: only its line ends
   * are indexed now; the `settle` function gives its final text the first time it is read. The
   * block must be shorter than 2^32 characters and its settled text have as many lines. With
   * `lines`, `text` may be any form of the block (the settle function knows which) of that many lines.
   */
  appendLazy(text: string, lines?: number): void {
    if (this._open.length > 0) {
      this._seal();
    }
    const chunk = this._chunks.length;
    const before = this._length;
    if (lines !== undefined && this._settle) {
      // Its text is not lines joined by `\n` yet (a JSON literal): only the count is known, and
      // the line ends are indexed when it is settled.
      this._chunkStarts.push(this._length);
      this._chunks.push(text);
      for (let k = 0; k < lines; k++) {
        this._ends.push(0);
      }
      this._length += lines;
      this._characters += text.length - (lines - 1);
      this._unindexed.add(chunk);
    } else {
      this._appendOwnChunk(text);
    }
    if (this._settle) {
      this._unsettled.add(chunk);
      this._lazyLines += this._length - before;
    }
  }

  /** Lines not settled yet (stored by `appendLazy` and not read since). */
  get unsettledLines(): number {
    return this._lazyLines;
  }

  /** Settle every chunk holding lines `[from, to)` that is not settled yet. */
  settleRange(from: number, to: number): void {
    if (this._unsettled.size === 0 || from >= to) {
      return;
    }
    const last = this._chunkOf(Math.min(to, this._length) - 1);
    for (let c = this._chunkOf(Math.max(0, from)); c <= last; c++) {
      this._settleChunk(c);
    }
  }

  /** Line `i` (0-based). */
  get(i: number): string {
    if (i < 0 || i >= this._length || !Number.isInteger(i)) {
      throw new RangeError(`line ${i} out of range (0..${this._length - 1})`);
    }
    const c = this._chunkOf(i);
    this._settleChunk(c);
    const first = this._chunkStarts.get(c);
    if (c === this._chunks.length) {
      return this._open[i - first];
    }
    const start = i === first ? 0 : this._ends.get(i - 1) + 1;
    return this._chunks[c].slice(start, this._ends.get(i));
  }

  /**
   * Call `onMatch` for every match of `pattern` (which must have the `g` flag and must not
   * match across a line break) in lines `[from, to)`, in order.
   */
  search(
    pattern: RegExp,
    from: number,
    to: number,
    onMatch: MatchCallback
  ): void {
    if (!pattern.global) {
      throw new Error('search needs a global RegExp');
    }
    from = Math.max(0, from);
    to = Math.min(this._length, to);
    if (from >= to) {
      return;
    }
    const lastChunk = this._chunkOf(to - 1);
    for (let c = this._chunkOf(from); c <= lastChunk; c++) {
      const first = this._chunkStarts.get(c);
      const end =
        c + 1 < this._chunkStarts.length
          ? this._chunkStarts.get(c + 1)
          : this._length;
      const lineFrom = Math.max(from, first);
      const lineTo = Math.min(to, end);
      this._settleChunk(c);
      const text = this._chunkText(c);
      const startOffset =
        lineFrom === first ? 0 : this._ends.get(lineFrom - 1) + 1;
      const endOffset = this._ends.get(lineTo - 1);
      let line = lineFrom;
      let lineStart = startOffset;
      pattern.lastIndex = startOffset;
      for (;;) {
        const m = pattern.exec(text);
        if (m === null || m.index >= endOffset) {
          break;
        }
        if (m[0].length === 0) {
          pattern.lastIndex++;
        }
        while (this._ends.get(line) < m.index) {
          lineStart = this._ends.get(line) + 1;
          line++;
        }
        if (onMatch(line, m.index - lineStart) === false) {
          return;
        }
      }
    }
  }

  /**
   * The whole text in pieces (chunks and the `\n`s between them), for a `Blob` or a join,
   * without building one giant string here.
   */
  toParts(): string[] {
    const parts: string[] = [];
    const count = this._chunkStarts.length;
    for (let c = 0; c < count; c++) {
      if (c > 0) {
        parts.push('\n');
      }
      this._settleChunk(c);
      parts.push(this._chunkText(c));
    }
    return parts;
  }

  /** The whole text, lines joined by `\n`. */
  toString(): string {
    return this.toParts().join('');
  }

  /** Forget every line. */
  clear(): void {
    this._chunks = [];
    this._unsettled.clear();
    this._unindexed.clear();
    this._lazyLines = 0;
    this._open = [];
    this._openText = null;
    this._openChars = 0;
    this._ends.clear();
    this._chunkStarts.clear();
    this._length = 0;
    this._characters = 0;
  }

  private _seal(): void {
    this._chunks.push(this._open.join('\n'));
    this._open = [];
    this._openText = null;
  }

  private _chunkText(c: number): string {
    if (c < this._chunks.length) {
      return this._chunks[c];
    }
    if (this._openText === null) {
      this._openText = this._open.join('\n');
    }
    return this._openText;
  }

  /** Index of the chunk holding line `i` (which must exist). */
  chunkOf(i: number): number {
    return this._chunkOf(i);
  }

  /** Number of chunks (the next one appended gets this index). */
  get chunkCount(): number {
    return this._chunks.length + (this._open.length > 0 ? 1 : 0);
  }

  /** First line of chunk `c`. */
  chunkStart(c: number): number {
    return this._chunkStarts.get(c);
  }

  /** Index of the chunk holding line `i`. */
  private _chunkOf(i: number): number {
    const starts = this._chunkStarts;
    // Fast path: the open chunk, where appends and the followed tail are.
    const last = starts.length - 1;
    if (i >= starts.get(last)) {
      return last;
    }
    const k = starts.lowerBound(i + 1); // first chunk starting after i
    return k - 1;
  }

  private _settle: SettleChunk | null;
  private _chunks: string[] = [];
  /** Chunks stored by `appendLazy` and not settled yet. */
  private _unsettled = new Set<number>();
  private _lazyLines = 0;
  /** Unsettled chunks whose line ends are not indexed yet (`appendLazy` with a count). */
  private _unindexed = new Set<number>();
  private _open: string[] = [];
  private _openText: string | null = null;
  private _openChars = 0;
  private _ends = new Uint32Vector(4096);
  private _chunkStarts = new Uint32Vector(64);
  private _length = 0;
  private _characters = 0;
}

/** The raw lines of one chunk that had escape codes: chunk-relative line numbers and texts. */
interface IChunkRaws {
  lines: Uint32Array;
  /** Their raw texts joined by `\n` (one flat string, not slices that would keep the block alive). */
  text: string;
  /** End offset of each in `text`. */
  ends: Uint32Array;
}

/**
 * The lines of one build log: the plain text of every line, and the raw text (with ANSI codes)
 * of those lines that had any, kept aside so that uncoloured lines cost nothing extra.
 *
 * A long block (`appendText`) is stored as it came and settled (escape codes stripped, carriage
 * returns resolved, see `settleBlock`) the first time one of its lines is read or searched.
 */
export class LogLines {
  /** Number of lines. */
  get length(): number {
    return this._plain.length;
  }

  /** Lines stored by `appendText` and not settled yet. */
  get unsettledLines(): number {
    return this._plain.unsettledLines;
  }

  /** Approximate memory held, in bytes. */
  get byteEstimate(): number {
    let lazyRaws = 0;
    for (const raws of this._chunkRaws.values()) {
      lazyRaws += raws.text.length + raws.lines.byteLength * 2;
    }
    return (
      this._plain.byteEstimate +
      this._raw.byteEstimate +
      this._rawIndex.byteLength +
      lazyRaws
    );
  }

  /** Append one line (no `\n`): its plain text and its raw text when it has ANSI codes. */
  append(plain: string, raw: string | null = null): void {
    if (raw !== null && raw !== plain) {
      this._rawIndex.push(this._plain.length);
      this._raw.append(raw);
    }
    this._plain.append(plain);
  }

  /**
   * Append several lines at once, as `normalizeBlock` settled them: their plain text joined by
   * `\n`, and the raw text of those that had escape codes.
   */
  appendBlock(block: {
    plain: string;
    rawLines: readonly number[];
    raws: readonly string[];
  }): void {
    const first = this._plain.length;
    for (let k = 0; k < block.rawLines.length; k++) {
      this._rawIndex.push(first + block.rawLines[k]);
      this._raw.append(block.raws[k]);
    }
    this._plain.appendBlock(block.plain);
  }

  /**
   * Append a long block of lines as received (joined by `\n`, escape codes and carriage returns
   * still in): only its line breaks are counted now; it is settled when first read.
   */
  appendText(text: string): void {
    this._plain.appendLazy(text);
  }

  /**
   * Append a long block of `lines` lines still as the JSON string literal it came in (see
   * `jsonMessage.ts`): decoded, then settled, when first read.
   */
  appendEncoded(literal: string, lines: number): void {
    this._encoded.add(this._plain.chunkCount);
    this._plain.appendLazy(literal, lines);
  }

  /** Settle the unsettled blocks holding lines `[from, to)` (a background pass calls this). */
  settle(from: number, to: number): void {
    this._plain.settleRange(from, to);
  }

  /** Plain text of line `i`. */
  text(i: number): string {
    return this._plain.get(i);
  }

  /** Raw text of line `i` (with its ANSI codes), or `null` if it had none. */
  raw(i: number): string | null {
    if (this._chunkRaws.size > 0 || this._plain.unsettledLines > 0) {
      this._plain.settleRange(i, i + 1); // validates i, as `text` does
      const c = this._plain.chunkOf(i);
      const raws = this._chunkRaws.get(c);
      if (raws) {
        return rawOf(raws, i - this._plain.chunkStart(c));
      }
    }
    const k = this._rawIndex.lowerBound(i);
    if (k < this._rawIndex.length && this._rawIndex.get(k) === i) {
      return this._raw.get(k);
    }
    return null;
  }

  /** See `LineStore.search`; searches the plain text. */
  search(
    pattern: RegExp,
    from: number,
    to: number,
    onMatch: MatchCallback
  ): void {
    this._plain.search(pattern, from, to, onMatch);
  }

  /** The plain text in pieces, for a `Blob`. */
  toParts(): string[] {
    return this._plain.toParts();
  }

  /** The whole plain text, lines joined by `\n`. */
  toString(): string {
    return this._plain.toString();
  }

  clear(): void {
    this._plain.clear();
    this._raw.clear();
    this._rawIndex.clear();
    this._chunkRaws.clear();
    this._encoded.clear();
  }

  /** The store's settle function: the plain text of an `appendText` block; its raw lines kept aside. */
  private _settleChunk(c: number, text: string): string {
    const block = settleBlock(
      this._encoded.delete(c) ? decodeJsonLiteral(text) : text
    );
    const count = block.rawLines.length;
    if (count > 0) {
      const ends = new Uint32Array(count);
      let offset = 0;
      for (let k = 0; k < count; k++) {
        offset += (k > 0 ? 1 : 0) + block.raws[k].length;
        ends[k] = offset;
      }
      this._chunkRaws.set(c, {
        lines: Uint32Array.from(block.rawLines),
        text: flat(block.raws.join('\n')),
        ends
      });
    }
    return block.plain;
  }

  private _plain = new LineStore((c, text) => this._settleChunk(c, text));
  private _raw = new LineStore();
  private _rawIndex = new Uint32Vector(64);
  /** Raw lines of the settled `appendText` blocks, by chunk. */
  private _chunkRaws = new Map<number, IChunkRaws>();
  /** Chunks appended by `appendEncoded` and not settled yet. */
  private _encoded = new Set<number>();
}

/** Raw text of line `line` of a chunk, or `null` when it had no escape codes. */
function rawOf(raws: IChunkRaws, line: number): string | null {
  const lines = raws.lines;
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (lines[mid] < line) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo === lines.length || lines[lo] !== line) {
    return null;
  }
  const start = lo === 0 ? 0 : raws.ends[lo - 1] + 1;
  return raws.text.slice(start, raws.ends[lo]);
}

/**
 * `text` as a flat string of its own: a join of slices is one already, but a single slice would
 * stay a view of (and keep alive) the whole block it was cut from.
 */
function flat(text: string): string {
  return text.length < 64 ? text : (' ' + text).slice(1);
}
