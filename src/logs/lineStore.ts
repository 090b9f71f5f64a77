/**
 * Compact storage for a log of any length.
 *
 * Lines are not kept as one object each: they are packed into chunk strings (the lines of a chunk
 * joined by `\n`) with one `Uint32Array` of end offsets, so a line costs its characters plus four
 * bytes. A million 60-character lines take about 64 MB. Only the chunk still being filled keeps
 * its lines in an array, until it is sealed.
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

/** An append-only list of lines (each without `\n`). */
export class LineStore {
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

  /** Line `i` (0-based). */
  get(i: number): string {
    if (i < 0 || i >= this._length || !Number.isInteger(i)) {
      throw new RangeError(`line ${i} out of range (0..${this._length - 1})`);
    }
    const c = this._chunkOf(i);
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

  private _chunks: string[] = [];
  private _open: string[] = [];
  private _openText: string | null = null;
  private _openChars = 0;
  private _ends = new Uint32Vector(4096);
  private _chunkStarts = new Uint32Vector(64);
  private _length = 0;
  private _characters = 0;
}

/**
 * The lines of one build log: the plain text of every line, and the raw text (with ANSI codes)
 * of those lines that had any, kept aside so that uncoloured lines cost nothing extra.
 */
export class LogLines {
  /** Number of lines. */
  get length(): number {
    return this._plain.length;
  }

  /** Approximate memory held, in bytes. */
  get byteEstimate(): number {
    return (
      this._plain.byteEstimate +
      this._raw.byteEstimate +
      this._rawIndex.byteLength
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

  /** Plain text of line `i`. */
  text(i: number): string {
    return this._plain.get(i);
  }

  /** Raw text of line `i` (with its ANSI codes), or `null` if it had none. */
  raw(i: number): string | null {
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
  }

  private _plain = new LineStore();
  private _raw = new LineStore();
  private _rawIndex = new Uint32Vector(64);
}
