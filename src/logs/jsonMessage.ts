/**
 * Reading a long log event without decoding its message.
 *
 * A replayed log arrives as events of hundreds of lines each, and `JSON.parse` of their data
 * (un-escaping every `\n`, `\"` and `\u001b` of a hundred megabytes) took a fifth of the time a
 * million-line log needed to show. The message is only needed once its lines are read (the
 * screenful on show, a search, an export), so for a long event the message's JSON string literal
 * is cut out as it is, its line breaks counted, and the rest of the object parsed; the literal is
 * decoded when the store settles its chunk (`decodeJsonLiteral`).
 */

/** Data shorter than this is parsed whole: cutting out pays for long messages only. */
export const MIN_DEFERRED_DATA = 8 * 1024;

/** A message still as its JSON string literal (without the quotes). */
export interface IEncodedMessage {
  literal: string;
  /** Its number of lines (line breaks + 1). */
  lines: number;
}

/** What `splitEventData` gives: the object without its message, and the message encoded. */
export interface ISplitEventData {
  /** `JSON.parse` of the data with `""` as the message. */
  rest: unknown;
  message: IEncodedMessage;
}

const KEY = '"message":"';
const BACKSLASH = 92;
const QUOTE = 34;
const LOWER_N = 110;
const LOWER_U = 117;
/** The one-character escapes besides `\n`: `\\ \" \/ \b \f \r \t`. */
const SIMPLE_ESCAPES = new Set([BACKSLASH, QUOTE, 47, 98, 102, 114, 116]);

/**
 * Cut the `message` string out of an event's JSON `data`, or `null` when the data is short or
 * not in the shape the service writes (then parse it whole).
 *
 * `"message":"` with unescaped quotes can only be a key and its string value opening (inside a
 * string every quote is escaped), and the event's nested objects (progress) have no `message`.
 * Line breaks are the literal's `\n` escapes (and `\u000a`, which JSON allows too).
 */
export function splitEventData(data: string): ISplitEventData | null {
  if (data.length < MIN_DEFERRED_DATA) {
    return null;
  }
  const key = data.indexOf(KEY);
  if (key <= 0) {
    return null;
  }
  const before = data.charCodeAt(key - 1);
  if (before !== 123 /* { */ && before !== 44 /* , */) {
    return null;
  }
  const start = key + KEY.length;
  let quote = data.indexOf('"', start);
  let escape = data.indexOf('\\', start);
  let lines = 1;
  for (;;) {
    if (quote === -1) {
      return null; // unterminated: let JSON.parse say so
    }
    if (escape === -1 || quote < escape) {
      break;
    }
    const c = data.charCodeAt(escape + 1);
    let next = escape + 2;
    if (c === LOWER_N) {
      lines++;
    } else if (c === LOWER_U) {
      if (data.slice(escape + 2, escape + 6).toLowerCase() === '000a') {
        lines++;
      }
      next = escape + 6;
    } else if (!SIMPLE_ESCAPES.has(c)) {
      return null; // not a JSON escape
    }
    if (quote < next) {
      quote = data.indexOf('"', next); // that quote was escaped
    }
    escape = data.indexOf('\\', next);
  }
  let rest: unknown;
  try {
    rest = JSON.parse(`${data.slice(0, start)}"${data.slice(quote + 1)}`);
  } catch {
    return null;
  }
  return { rest, message: { literal: data.slice(start, quote), lines } };
}

/**
 * The string a JSON string literal (without quotes) stands for. A literal that is not valid JSON
 * (never from the service) is kept as it is rather than losing its lines.
 */
export function decodeJsonLiteral(literal: string): string {
  if (literal.indexOf('\\') === -1) {
    return literal;
  }
  try {
    return JSON.parse(`"${literal}"`) as string;
  } catch {
    return literal;
  }
}
