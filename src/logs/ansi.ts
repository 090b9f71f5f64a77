/**
 * ANSI escape handling for the build log, one line at a time.
 *
 * Two jobs:
 * - `normalizeLine` runs once per line when it arrives: it settles carriage returns the way a
 *   terminal would show them and gives the plain text (what search, copy and download use) plus,
 *   only when the line holds escape codes, the raw text kept for colouring.
 * - `parseAnsiLine` turns ONE raw line into styled segments with `anser`; the view calls it for
 *   the rows on screen only, never for the whole log.
 */

import Anser from 'anser';

/**
 * Escape sequences and control characters removed from the plain text:
 * CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ST`, or to the end of the line when unterminated),
 * DCS/SOS/PM/APC strings, the other two/three-byte escapes (`ESC ( B`, `ESC 7`, …), any other
 * lone ESC, and the C0 controls other than TAB (plus DEL).
 */

const ESCAPES =
  /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\][^\x07\x1b]*(?:\x07|\x1b\\|$)|[PX^_][^\x1b]*(?:\x1b\\|$)|[\x20-\x2f]*[\x30-\x7e]|)|[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/g;

const HAS_CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Remove every escape sequence and control character (except TAB) from `text`. */
export function stripAnsi(text: string): string {
  if (!HAS_CONTROL.test(text)) {
    return text;
  }
  return text.replace(ESCAPES, '');
}

/** One line as stored: its plain text and, if it had escape codes, its raw form. */
export interface INormalizedLine {
  /** Text without escape codes: what is searched, copied and downloaded. */
  plain: string;
  /** The line with its escape codes, or `null` when it had none (render `plain` then). */
  raw: string | null;
}

/**
 * Settle one line (no `\n` inside) for storage.
 *
 * A carriage return inside a line (progress bars redrawn in place) keeps what a terminal would
 * finally show: the last part after a `\r` that has visible text. A trailing `\r` (CRLF) is dropped.
 */
export function normalizeLine(line: string): INormalizedLine {
  let text = line;
  if (text.indexOf('\r') !== -1) {
    const parts = text.split('\r');
    text = '';
    for (let i = parts.length - 1; i >= 0; i--) {
      if (stripAnsi(parts[i]) !== '') {
        text = parts[i];
        break;
      }
    }
  }
  if (!HAS_CONTROL.test(text)) {
    return { plain: text, raw: null };
  }
  const plain = text.replace(ESCAPES, '');

  return { plain, raw: /\x1b/.test(text) ? text : null };
}

/**
 * Control characters that make a block of lines go line by line: all but TAB, LF and ESC (a
 * carriage return needs the per-line rule above; the others are rare).
 */
const BLOCK_NEEDS_LINES = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/;

/** Several lines (joined by `\n`) as stored: see `normalizeBlock`. */
export interface INormalizedBlock {
  /** The plain text of every line, joined by `\n`. */
  plain: string;
  /** Index in the block (0-based, ascending) of each line that had escape codes. */
  rawLines: number[];
  /** The raw text of those lines, in the same order. */
  raws: string[];
}

/**
 * Settle several lines at once, with the same result as `normalizeLine` on each, or `null` when
 * the block holds a control character that needs the per-line rule (a carriage return).
 *
 * Why: a replayed log arrives as events of hundreds of lines. Settling it line by line cost a
 * split, two regular expressions and an object per line; here a block without escape codes is
 * stored as it came (one `indexOf` scan), and only the lines holding an ESC are cut out and
 * stripped.
 */
export function normalizeBlock(text: string): INormalizedBlock | null {
  if (BLOCK_NEEDS_LINES.test(text)) {
    return null;
  }
  let esc = text.indexOf('\x1b');
  if (esc === -1) {
    return { plain: text, rawLines: [], raws: [] };
  }
  const parts: string[] = [];
  const rawLines: number[] = [];
  const raws: string[] = [];
  let line = 0;
  let lineStart = 0;
  let copied = 0;
  while (esc !== -1) {
    let nl = text.indexOf('\n', lineStart);
    while (nl !== -1 && nl < esc) {
      line++;
      lineStart = nl + 1;
      nl = text.indexOf('\n', lineStart);
    }
    const lineEnd = nl === -1 ? text.length : nl;
    const raw = text.slice(lineStart, lineEnd);
    parts.push(text.slice(copied, lineStart), raw.replace(ESCAPES, ''));
    copied = lineEnd;
    rawLines.push(line);
    raws.push(raw);
    if (nl === -1) {
      break;
    }
    line++;
    lineStart = nl + 1;
    esc = text.indexOf('\x1b', lineStart);
  }
  parts.push(text.slice(copied));
  return { plain: parts.join(''), rawLines, raws };
}

/**
 * Settle several lines (joined by `\n`) as `normalizeLine` settles each: `normalizeBlock`'s
 * result, or line by line when the block needs the per-line rule.
 */
export function settleBlock(text: string): INormalizedBlock {
  const block = normalizeBlock(text);
  if (block) {
    return block;
  }
  const plains: string[] = [];
  const rawLines: number[] = [];
  const raws: string[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const { plain, raw } = normalizeLine(lines[k]);
    plains.push(plain);
    if (raw !== null && raw !== plain) {
      rawLines.push(k);
      raws.push(raw);
    }
  }
  return { plain: plains.join('\n'), rawLines, raws };
}

/** A run of text with one style. */
export interface IAnsiSegment {
  text: string;
  /** CSS classes, e.g. `ansi-red-fg`, `ansi-bold`; empty when unstyled. */
  classes: string[];
  /** Inline colours for 256-colour palette entries beyond the 16 named ones and for true colour. */
  color?: string;
  background?: string;
}

const NAMED =
  /^ansi-(bright-)?(black|red|green|yellow|blue|magenta|cyan|white)$/;
const PALETTE = /^ansi-palette-(\d{1,3})$/;
const NAMES = [
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white'
];

/** The xterm 256-colour palette entry `n` (16–255) as `rgb(…)`. */
function paletteColor(n: number): string {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const level = (c: number) => (c === 0 ? 0 : 55 + c * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}

/** Resolve an anser colour to a class (named colours) or an inline colour. */
function resolveColor(
  value: string | null,
  truecolor: string | null,
  kind: 'fg' | 'bg',
  classes: string[]
): string | undefined {
  if (!value) {
    return undefined;
  }
  const named = NAMED.exec(value);
  if (named) {
    classes.push(`ansi-${named[2]}${named[1] ? '-intense' : ''}-${kind}`);
    return undefined;
  }
  const palette = PALETTE.exec(value);
  if (palette) {
    const n = Number(palette[1]);
    if (n < 16) {
      classes.push(`ansi-${NAMES[n % 8]}${n >= 8 ? '-intense' : ''}-${kind}`);
      return undefined;
    }
    return n <= 255 ? paletteColor(n) : undefined;
  }
  if (
    value === 'ansi-truecolor' &&
    truecolor &&
    /^\d{1,3}, \d{1,3}, \d{1,3}$/.test(truecolor)
  ) {
    return `rgb(${truecolor})`;
  }
  return undefined;
}

/**
 * Parse one raw line into styled segments with anser.
 *
 * The concatenated segment texts equal `normalizeLine(raw).plain` for every escape anser
 * understands; `renderSegments` checks that and falls back to the plain text otherwise.
 */
export function parseAnsiLine(raw: string): IAnsiSegment[] {
  const entries = Anser.ansiToJson(raw, {
    use_classes: true,
    remove_empty: true
  });
  const segments: IAnsiSegment[] = [];
  for (const entry of entries) {
    const text = stripAnsi(entry.content);
    if (!text) {
      continue;
    }
    const classes: string[] = [];
    const color = resolveColor(entry.fg, entry.fg_truecolor, 'fg', classes);
    const background = resolveColor(
      entry.bg,
      entry.bg_truecolor,
      'bg',
      classes
    );
    for (const decoration of entry.decorations ?? []) {
      if (decoration !== 'blink' && decoration !== 'reverse') {
        classes.push(`ansi-${decoration}`);
      }
    }
    const segment: IAnsiSegment = { text, classes };
    if (color) {
      segment.color = color;
    }
    if (background) {
      segment.background = background;
    }
    segments.push(segment);
  }
  return segments;
}

/** A range of a line's plain text to mark as a search match. */
export interface IHighlight {
  start: number;
  end: number;
  current: boolean;
}

/** Class of a search match, and the extra class of the current one. */
export const MATCH_CLASS = 'jp-Repo2DockerLog-match';
export const CURRENT_MATCH_CLASS = 'jp-Repo2DockerLog-match-current';

/**
 * Fill `container` with one line: its ANSI segments (if `raw` is given) with the search
 * `highlights` (ranges of `plain`) laid over them. A line with neither becomes one text node.
 */
export function renderLine(
  container: HTMLElement,
  plain: string,
  raw: string | null,
  highlights: readonly IHighlight[]
): void {
  let segments: IAnsiSegment[] | null = null;
  if (raw !== null) {
    segments = parseAnsiLine(raw);
    let joined = '';
    for (const s of segments) {
      joined += s.text;
    }
    if (joined !== plain) {
      // An escape anser reads differently from us: keep offsets right, lose the colours.
      segments = null;
    }
  }
  container.textContent = '';
  if (segments === null && highlights.length === 0) {
    container.textContent = plain;
    return;
  }
  if (segments === null) {
    segments = [{ text: plain, classes: [] }];
  }
  const doc = container.ownerDocument;
  let offset = 0;
  let h = 0;
  for (const segment of segments) {
    const segStart = offset;
    const segEnd = offset + segment.text.length;
    let pos = segStart;
    while (pos < segEnd) {
      while (h < highlights.length && highlights[h].end <= pos) {
        h++;
      }
      const hl = h < highlights.length ? highlights[h] : null;
      let end: number;
      let mark: IHighlight | null = null;
      if (hl && hl.start <= pos) {
        end = Math.min(segEnd, hl.end);
        mark = hl;
      } else {
        end = hl ? Math.min(segEnd, hl.start) : segEnd;
      }
      const text = segment.text.slice(pos - segStart, end - segStart);
      const styled =
        segment.classes.length > 0 || segment.color || segment.background;
      if (!styled && !mark) {
        container.appendChild(doc.createTextNode(text));
      } else {
        const span = doc.createElement(mark ? 'mark' : 'span');
        const classes = [...segment.classes];
        if (mark) {
          classes.push(MATCH_CLASS);
          if (mark.current) {
            classes.push(CURRENT_MATCH_CLASS);
          }
        }
        if (classes.length) {
          span.className = classes.join(' ');
        }
        if (segment.color) {
          span.style.color = segment.color;
        }
        if (segment.background) {
          span.style.backgroundColor = segment.background;
        }
        span.textContent = text;
        container.appendChild(span);
      }
      pos = end;
    }
    offset = segEnd;
  }
}
