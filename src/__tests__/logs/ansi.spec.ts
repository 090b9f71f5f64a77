import {
  CURRENT_MATCH_CLASS,
  MATCH_CLASS,
  normalizeBlock,
  normalizeLine,
  parseAnsiLine,
  renderLine,
  stripAnsi
} from '../../logs/ansi';

const ESC = '\x1b';

describe('stripAnsi', () => {
  it('removes SGR, cursor, OSC and charset escapes and control characters', () => {
    expect(stripAnsi(`${ESC}[31mred${ESC}[0m plain`)).toBe('red plain');
    expect(stripAnsi(`a${ESC}[2Kb${ESC}[1Gc`)).toBe('abc');
    expect(
      stripAnsi(`${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\ end`)
    ).toBe('link end');
    expect(stripAnsi(`${ESC}]0;title\x07text`)).toBe('text');
    expect(stripAnsi(`x${ESC}(By`)).toBe('xy');
    expect(stripAnsi(`bell\x07 and\ttab`)).toBe('bell and\ttab');
    expect(stripAnsi(`dangling${ESC}`)).toBe('dangling');
    expect(stripAnsi('no escapes at all')).toBe('no escapes at all');
  });
});

describe('normalizeLine', () => {
  it('keeps plain lines as they are, without a raw copy', () => {
    expect(normalizeLine('#5 [2/2] RUN echo hi')).toEqual({
      plain: '#5 [2/2] RUN echo hi',
      raw: null
    });
    expect(normalizeLine('')).toEqual({ plain: '', raw: null });
  });

  it('keeps the raw text of coloured lines', () => {
    const raw = `${ESC}[1;32mSuccess${ESC}[0m`;
    expect(normalizeLine(raw)).toEqual({ plain: 'Success', raw });
  });

  it('drops a CRLF carriage return and keeps the last redraw of a progress line', () => {
    expect(normalizeLine('windows line\r')).toEqual({
      plain: 'windows line',
      raw: null
    });
    expect(normalizeLine('10%\r50%\r100%')).toEqual({
      plain: '100%',
      raw: null
    });
    expect(normalizeLine(`10%\r100%\r${ESC}[K`).plain).toBe('100%');
  });
});

describe('parseAnsiLine', () => {
  it('turns SGR codes into coloured, decorated segments', () => {
    const segments = parseAnsiLine(
      `${ESC}[31mred${ESC}[0m plain ${ESC}[1;92mbold bright green${ESC}[0m`
    );
    expect(segments.map(s => s.text)).toEqual([
      'red',
      ' plain ',
      'bold bright green'
    ]);
    expect(segments[0].classes).toEqual(['ansi-red-fg']);
    expect(segments[1].classes).toEqual([]);
    expect(segments[2].classes).toEqual(
      expect.arrayContaining(['ansi-green-intense-fg', 'ansi-bold'])
    );
  });

  it('maps backgrounds, the 16 palette entries, 256 colours and true colour', () => {
    const [bg] = parseAnsiLine(`${ESC}[44;37mwhite on blue${ESC}[0m`);
    expect(bg.classes).toEqual(
      expect.arrayContaining(['ansi-white-fg', 'ansi-blue-bg'])
    );
    const [p3] = parseAnsiLine(`${ESC}[38;5;3myellow${ESC}[0m`);
    expect(p3.classes).toEqual(['ansi-yellow-fg']);
    const [p196] = parseAnsiLine(`${ESC}[38;5;196mred${ESC}[0m`);
    expect(p196.color).toBe('rgb(255, 0, 0)');
    const [grey] = parseAnsiLine(`${ESC}[38;5;244mgrey${ESC}[0m`);
    expect(grey.color).toBe('rgb(128, 128, 128)');
    const [tc] = parseAnsiLine(`${ESC}[38;2;10;20;30mtrue${ESC}[0m`);
    expect(tc.color).toBe('rgb(10, 20, 30)');
  });

  it('gives the same text as the plain line for common escapes', () => {
    const lines = [
      `${ESC}[31mred${ESC}[0m plain`,
      `${ESC}[?25lhidden cursor${ESC}[?25h`,
      `${ESC}[38;5;196mpal${ESC}[0m ${ESC}[48;2;1;2;3mbg${ESC}[0m`,
      `${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\ end`,
      `a${ESC}[2Kb${ESC}[1Gc`,
      `x${ESC}(By`
    ];
    for (const line of lines) {
      const { plain, raw } = normalizeLine(line);
      expect(raw).toBe(line);
      expect(
        parseAnsiLine(line)
          .map(s => s.text)
          .join('')
      ).toBe(plain);
    }
  });
});

describe('normalizeBlock', () => {
  /** What `normalizeLine` gives line by line, in the block's form. */
  function lineByLine(text: string) {
    const lines = text.split('\n').map(normalizeLine);
    const rawLines: number[] = [];
    const raws: string[] = [];
    lines.forEach((l, i) => {
      if (l.raw !== null && l.raw !== l.plain) {
        rawLines.push(i);
        raws.push(l.raw);
      }
    });
    return { plain: lines.map(l => l.plain).join('\n'), rawLines, raws };
  }

  it('keeps a block without escapes as it came', () => {
    const text = 'one\ttab\ntwo\n\nfour';
    const block = normalizeBlock(text);
    expect(block).toEqual({ plain: text, rawLines: [], raws: [] });
    expect(block!.plain).toBe(text);
  });

  it('gives what normalizeLine gives on each line, for lines with escapes anywhere', () => {
    const pieces = [
      'plain words',
      `${ESC}[31mred${ESC}[0m plain`,
      '',
      `${ESC}]0;unterminated title`,
      `${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\ end`,
      `${ESC}P dcs to the end`,
      `x${ESC}(By`,
      `dangling${ESC}`,
      `${ESC}`,
      `${ESC}[38;5;196mpal${ESC}[0m ${ESC}[48;2;1;2;3mbg${ESC}[0m`
    ];
    // Every piece first, last and between the others (escapes at line ends run into the next line
    // in a block: the block rule must stop at the line end as the line rule does).
    for (let k = 0; k < pieces.length; k++) {
      const text = [pieces[k], ...pieces, pieces[k]].join('\n');
      expect(normalizeBlock(text)).toEqual(lineByLine(text));
    }
  });

  it('leaves a block with carriage returns or other controls to the per-line rule', () => {
    expect(normalizeBlock('10%\r100%\nnext')).toBeNull();
    expect(normalizeBlock('crlf\r\nnext')).toBeNull();
    expect(normalizeBlock('bell\x07\nnext')).toBeNull();
    expect(normalizeBlock('back\bspace')).toBeNull();
  });
});

describe('renderLine', () => {
  it('renders a plain line as one text node', () => {
    const el = document.createElement('span');
    renderLine(el, 'hello <b>world</b>', null, []);
    expect(el.childNodes).toHaveLength(1);
    expect(el.textContent).toBe('hello <b>world</b>');
    expect(el.querySelector('b')).toBeNull();
  });

  it('renders colours as spans with classes and inline colours', () => {
    const el = document.createElement('span');
    const raw = `ok ${ESC}[31mred${ESC}[0m ${ESC}[38;2;1;2;3mtc${ESC}[0m`;
    renderLine(el, 'ok red tc', raw, []);
    expect(el.textContent).toBe('ok red tc');
    const spans = el.querySelectorAll('span');
    expect(spans[0].className).toBe('ansi-red-fg');
    expect(spans[0].textContent).toBe('red');
    expect(spans[1].style.color).toBe('rgb(1, 2, 3)');
  });

  it('lays search highlights over colour segments', () => {
    const el = document.createElement('span');
    const raw = `ab${ESC}[32mcdef${ESC}[0mgh`;
    // matches "bcd" (across the colour boundary, current) and "gh"
    renderLine(el, 'abcdefgh', raw, [
      { start: 1, end: 4, current: true },
      { start: 6, end: 8, current: false }
    ]);
    expect(el.textContent).toBe('abcdefgh');
    const marks = Array.from(el.querySelectorAll('mark'));
    expect(marks.map(m => m.textContent)).toEqual(['b', 'cd', 'gh']);
    expect(marks[0].classList.contains(CURRENT_MATCH_CLASS)).toBe(true);
    expect(marks[1].classList.contains(CURRENT_MATCH_CLASS)).toBe(true);
    expect(marks[1].classList.contains('ansi-green-fg')).toBe(true);
    expect(marks[2].classList.contains(MATCH_CLASS)).toBe(true);
    expect(marks[2].classList.contains(CURRENT_MATCH_CLASS)).toBe(false);
  });

  it('falls back to the plain text when the raw line does not match it', () => {
    const el = document.createElement('span');
    renderLine(el, 'plain text', `${ESC}[31mother${ESC}[0m`, [
      { start: 0, end: 5, current: false }
    ]);
    expect(el.textContent).toBe('plain text');
    expect(el.querySelector('mark')?.textContent).toBe('plain');
  });
});
