import { settleBlock } from '../../logs/ansi';
import { LineStore, LogLines, Uint32Vector } from '../../logs/lineStore';

/** A deterministic line for index i: 30–70 characters, varied content. */
function lineFor(i: number): string {
  const pad = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN'.slice(
    0,
    (i * 7919) % 41
  );
  return `#${i % 97} step ${i}: ${pad}`;
}

describe('Uint32Vector', () => {
  it('grows and finds lower bounds', () => {
    const v = new Uint32Vector(2);
    for (let i = 0; i < 10; i++) {
      v.push(i * 10);
    }
    expect(v.length).toBe(10);
    expect(v.get(9)).toBe(90);
    expect(v.lowerBound(0)).toBe(0);
    expect(v.lowerBound(35)).toBe(4);
    expect(v.lowerBound(90)).toBe(9);
    expect(v.lowerBound(91)).toBe(10);
  });
});

describe('LineStore', () => {
  it('stores and returns lines across chunk boundaries', () => {
    const store = new LineStore();
    const n = 4096 * 2 + 17;
    for (let i = 0; i < n; i++) {
      store.append(i % 1000 === 0 ? '' : lineFor(i));
    }
    expect(store.length).toBe(n);
    for (const i of [0, 1, 4095, 4096, 4097, 8191, 8192, 8193, n - 1]) {
      expect(store.get(i)).toBe(i % 1000 === 0 ? '' : lineFor(i));
    }
    expect(() => store.get(n)).toThrow(RangeError);
    expect(() => store.get(-1)).toThrow(RangeError);
  });

  it('seals a chunk early when its lines are very long', () => {
    const store = new LineStore();
    const long = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 10; i++) {
      store.append(`${i}${long}`);
      store.append(`short ${i}`);
    }
    for (let i = 0; i < 10; i++) {
      expect(store.get(2 * i)).toBe(`${i}${long}`);
      expect(store.get(2 * i + 1)).toBe(`short ${i}`);
    }
    expect(store.characters).toBe(
      10 * (long.length + 1) + 10 * 'short 0'.length
    );
  });

  it('joins its text with newlines', () => {
    const store = new LineStore();
    expect(store.toString()).toBe('');
    ['a', '', 'c'].forEach(l => store.append(l));
    expect(store.toString()).toBe('a\n\nc');
    for (let i = 0; i < 5000; i++) {
      store.append(String(i));
    }
    const text = store.toString().split('\n');
    expect(text).toHaveLength(5003);
    expect(text[4098]).toBe('4095');
  });

  it('finds every match with its line and column, in sealed and open chunks', () => {
    const store = new LineStore();
    for (let i = 0; i < 10000; i++) {
      store.append(
        i % 1234 === 0 ? `needle at ${i} and NEEDLE again` : `hay ${i}`
      );
    }
    const found: Array<[number, number]> = [];
    store.search(/needle/gi, 0, store.length, (line, column) => {
      found.push([line, column]);
    });
    const expected: Array<[number, number]> = [];
    for (let i = 0; i < 10000; i += 1234) {
      const text = `needle at ${i} and NEEDLE again`;
      expected.push([i, 0], [i, text.indexOf('NEEDLE')]);
    }
    expect(found).toEqual(expected);

    // A range: only lines [1234, 2469).
    const ranged: number[] = [];
    store.search(/needle/gi, 1234, 2469, line => {
      ranged.push(line);
    });
    expect(ranged).toEqual([1234, 1234, 2468, 2468]);

    // Stopping early.
    let calls = 0;
    store.search(/hay/g, 0, store.length, () => ++calls < 3);
    expect(calls).toBe(3);
  });

  it('never matches across a line break', () => {
    const store = new LineStore();
    store.append('ab');
    store.append('cd');
    const found: number[] = [];
    store.search(/bc/g, 0, 2, line => {
      found.push(line);
    });
    expect(found).toEqual([]);
  });
});

describe('LineStore.appendBlock', () => {
  it('stores blocks (own chunks when long, line by line when short) like the same lines appended one by one', () => {
    const blocks = new LineStore();
    const single = new LineStore();
    let i = 0;
    // Short and long blocks, an empty line, between lines appended singly.
    for (const size of [3, 400, 1, 250, 5000, 2, 1200]) {
      const lines: string[] = [];
      for (let k = 0; k < size; k++, i++) {
        lines.push(i % 333 === 0 ? '' : lineFor(i));
      }
      blocks.appendBlock(lines.join('\n'));
      lines.forEach(l => single.append(l));
      blocks.append(`single ${i}`);
      single.append(`single ${i}`);
    }
    expect(blocks.length).toBe(single.length);
    expect(blocks.characters).toBe(single.characters);
    for (let k = 0; k < single.length; k++) {
      expect(blocks.get(k)).toBe(single.get(k));
    }
    expect(blocks.toString()).toBe(single.toString());
    const found = (store: LineStore) => {
      const out: number[][] = [];
      store.search(/step 1\d*:/g, 0, store.length, (line, column) => {
        out.push([line, column]);
      });
      return out;
    };
    expect(found(blocks).length).toBeGreaterThan(100);
    expect(found(blocks)).toEqual(found(single));
  });
});

describe('LogLines', () => {
  it('keeps raw text only for lines that have it', () => {
    const lines = new LogLines();
    lines.append('plain');
    lines.append('red', '\x1b[31mred\x1b[0m');
    lines.append('same', 'same');
    expect(lines.length).toBe(3);
    expect(lines.raw(0)).toBeNull();
    expect(lines.raw(1)).toBe('\x1b[31mred\x1b[0m');
    expect(lines.raw(2)).toBeNull();
    expect(lines.text(1)).toBe('red');
    expect(lines.toString()).toBe('plain\nred\nsame');
  });

  it('holds 1,000,000 lines compactly, with exact random access and fast search', () => {
    const heap = () =>
      (globalThis as any).process.memoryUsage().heapUsed as number;
    const gc = (globalThis as any).gc as (() => void) | undefined;
    gc?.();
    const before = heap();
    const lines = new LogLines();
    const n = 1_000_000;
    let chars = 0;
    for (let i = 0; i < n; i++) {
      const text = lineFor(i);
      chars += text.length;
      if (i % 1000 === 0) {
        lines.append(text, `\x1b[32m${text}\x1b[0m`);
      } else {
        lines.append(text);
      }
    }
    expect(lines.length).toBe(n);
    // Random access, including chunk edges, first and last.
    let seed = 12345;
    const rand = () =>
      (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const probes = [0, 1, 4095, 4096, n - 2, n - 1];
    for (let k = 0; k < 2000; k++) {
      probes.push(Math.floor(rand() * n));
    }
    for (const i of probes) {
      expect(lines.text(i)).toBe(lineFor(i));
      expect(lines.raw(i)).toBe(
        i % 1000 === 0 ? `\x1b[32m${lineFor(i)}\x1b[0m` : null
      );
    }
    gc?.();
    const grown = heap() - before;
    // About `chars` bytes of text plus 4 bytes a line; far below one object per line.
    expect(grown).toBeLessThan(150 * 1024 * 1024);
    expect(lines.byteEstimate).toBeLessThan(chars + 6 * n + 2 * 1024 * 1024);

    // Search the whole store: every "step 99999" style hit, quickly.
    const t0 = Date.now();
    let hits = 0;
    let last = -1;
    lines.search(/STEP 4242/gi, 0, n, line => {
      hits++;
      expect(line).toBeGreaterThan(last);
      last = line;
    });
    const elapsed = Date.now() - t0;
    // step 4242, 42420..42429, 424200..424299
    expect(hits).toBe(1 + 10 + 100);
    expect(elapsed).toBeLessThan(3000);
  });
});

describe('LogLines: blocks settled when first read', () => {
  /** Blocks with escapes, carriage returns, controls and empty lines. */
  function blocks(): string[] {
    const out: string[] = [];
    let i = 0;
    for (const size of [300, 1, 450, 2, 700]) {
      const lines: string[] = [];
      for (let k = 0; k < size; k++, i++) {
        lines.push(
          i % 50 === 0
            ? ''
            : i % 13 === 0
              ? `\x1b[32m${lineFor(i)}\x1b[0m`
              : i % 17 === 0
                ? `10%\r${lineFor(i)}\r`
                : i % 19 === 0
                  ? `bell\x07 ${lineFor(i)}`
                  : lineFor(i)
        );
      }
      out.push(lines.join('\n'));
    }
    return out;
  }

  /** The same lines stored on arrival (as `LogModel` did before). */
  function eager(texts: string[]): LogLines {
    const lines = new LogLines();
    for (const text of texts) {
      lines.appendBlock(settleBlock(text));
    }
    return lines;
  }

  function same(lazy: LogLines, reference: LogLines): void {
    expect(lazy.length).toBe(reference.length);
    for (let i = reference.length - 1; i >= 0; i--) {
      expect(lazy.text(i)).toBe(reference.text(i));
      expect(lazy.raw(i)).toBe(reference.raw(i));
    }
    expect(lazy.unsettledLines).toBe(0);
    expect(lazy.toString()).toBe(reference.toString());
  }

  it('appendText: counted now, settled on read to what storing on arrival gives', () => {
    const texts = blocks();
    const lazy = new LogLines();
    texts.forEach(t => lazy.appendText(t));
    lazy.append('single', null);
    const reference = eager(texts);
    reference.append('single', null);
    expect(lazy.length).toBe(reference.length);
    expect(lazy.unsettledLines).toBe(reference.length - 1);
    // Reading one line settles its block only.
    expect(lazy.text(305)).toBe(reference.text(305));
    expect(lazy.unsettledLines).toBe(reference.length - 1 - 450);
    same(lazy, reference);
  });

  it('appendEncoded: a JSON literal decoded and settled on read; search and export settle too', () => {
    const texts = blocks();
    const lazy = new LogLines();
    for (const t of texts) {
      const literal = JSON.stringify(t).slice(1, -1);
      lazy.appendEncoded(literal, t.split('\n').length);
    }
    const reference = eager(texts);
    const found = (lines: LogLines) => {
      const out: number[][] = [];
      lines.search(/step 1\d*:/g, 0, lines.length, (line, column) => {
        out.push([line, column]);
      });
      return out;
    };
    expect(found(lazy)).toEqual(found(reference));
    expect(lazy.unsettledLines).toBe(0);
    same(lazy, reference);

    const exported = new LogLines();
    exported.appendEncoded(JSON.stringify(texts[0]).slice(1, -1), 300);
    expect(exported.toParts().join('')).toBe(eager([texts[0]]).toString());
  });
});
