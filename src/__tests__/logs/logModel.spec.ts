import type {
  BuildLogEvent,
  BuildPhase
} from '@jupyterlab-repo2docker/service/contract';
import { LogModel, MAX_MATCHES } from '../../logs/logModel';

let seq = 0;
function ev(message: string, phase: BuildPhase = 'building'): BuildLogEvent {
  seq++;
  return {
    seq,
    phase,
    message,
    time: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString()
  };
}

function modelWith(lines: string[]): LogModel {
  const model = new LogModel({ buildId: 'b' });
  model.appendEvents(lines.map(l => ev(l)));
  return model;
}

describe('LogModel lines', () => {
  it('splits messages into lines, settles \\r and keeps ANSI aside', () => {
    const model = new LogModel({ buildId: 'b' });
    const added: LogModel.ILinesAdded[] = [];
    model.linesAdded.connect((_, a) => added.push(a));
    model.appendEvents([
      ev('one'),
      ev('two\r\nthree\n'),
      ev('\x1b[31mfour\x1b[0m\nfive 10%\rfive 100%')
    ]);
    const text = Array.from({ length: model.lineCount }, (_, i) =>
      model.lines.text(i)
    );
    expect(text).toEqual(['one', 'two', 'three', '', 'four', 'five 100%']);
    expect(model.lines.raw(4)).toBe('\x1b[31mfour\x1b[0m');
    expect(model.lines.raw(5)).toBeNull();
    expect(added).toEqual([{ from: 0, to: 6 }]);
    expect(model.plainText()).toBe('one\ntwo\nthree\n\nfour\nfive 100%');
  });

  it('signals a new phase once per batch, with the phase after it', () => {
    const model = new LogModel({ buildId: 'b' });
    const phases: BuildPhase[] = [];
    model.phaseChanged.connect((_, phase) => phases.push(phase));
    model.appendEvents([ev('a', 'fetching'), ev('b', 'building')]);
    model.appendEvents([ev('c', 'building')]);
    model.appendEvents([ev('d', 'pushing'), ev('e', 'built')]);
    expect(phases).toEqual(['building', 'built']);
  });

  it('builds a Blob of the plain text', async () => {
    const model = modelWith(['a', '\x1b[1mb\x1b[0m']);
    const blob = model.toBlob();
    expect(blob.type).toMatch(/^text\/plain/);
    const text = await new Promise<string>(resolve => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result as string);
      reader.readAsText(blob);
    });
    expect(text).toBe('a\nb\n');
  });

  it('ticks the elapsed time while running', () => {
    // A frozen clock: a millisecond passing between `now` and the event's arrival would make
    // the first reading 0 (clamped), and the difference 1999.
    jest.useFakeTimers();
    try {
      const model = new LogModel({ buildId: 'b' });
      expect(model.elapsed()).toBeNull();
      const now = Date.now();
      model.appendEvents([
        {
          seq: 1,
          phase: 'queued',
          message: 'q',
          time: new Date(now - 5000).toISOString()
        }
      ]);
      const e1 = model.elapsed(now)!;
      const e2 = model.elapsed(now + 2000)!;
      expect(e2 - e1).toBe(2000);
      expect(model.isFinal).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('LogModel: long events (a replayed log)', () => {
  const block = (from: number, count: number, error = -1) =>
    Array.from({ length: count }, (_, k) =>
      from + k === error
        ? `#6 ERROR: process did not complete successfully: exit code: 3`
        : from + k === 7
          ? `\x1b[1;31mred ${from + k}\x1b[0m line`
          : `#6 ${from + k} Collecting package`
    ).join('\n');

  it('stores a long multi-line event as its lines, with escapes kept aside', () => {
    const model = new LogModel({ buildId: 'b' });
    model.appendEvents([ev(block(0, 600)), ev('tail')]);
    expect(model.lineCount).toBe(601);
    expect(model.lines.text(7)).toBe('red 7 line');
    expect(model.lines.raw(7)).toBe('\x1b[1;31mred 7\x1b[0m line');
    expect(model.lines.raw(8)).toBeNull();
    expect(model.lines.text(599)).toBe('#6 599 Collecting package');
    expect(model.lines.text(600)).toBe('tail');
  });

  it('finds the first error of a long batch in the background and says so', async () => {
    const model = new LogModel({ buildId: 'b' });
    let changes = 0;
    model.stateChanged.connect(() => changes++);
    const events = [];
    for (let i = 0; i < 20_000; i += 1000) {
      events.push(ev(block(i, 1000, 15_123)));
    }
    model.appendEvents(events);
    changes = 0;
    // Not scanned yet: the lines come first.
    expect(model.knownErrorLine).toBeNull();
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(model.knownErrorLine).toBe(15_123);
    expect(changes).toBeGreaterThan(0);
    expect(model.firstErrorLine).toBe(15_123);
  });

  it('holds the background scan while the view says the user scrolls, then finishes it', async () => {
    const model = new LogModel({ buildId: 'b' });
    const events = [];
    for (let i = 0; i < 20_000; i += 1000) {
      events.push(ev(block(i, 1000, 15_123)));
    }
    model.deferBackgroundWork(150);
    model.appendEvents(events);
    await new Promise(resolve => setTimeout(resolve, 60));
    expect(model.knownErrorLine).toBeNull();
    await new Promise(resolve => setTimeout(resolve, 250));
    expect(model.knownErrorLine).toBe(15_123);
  });

  it('scans on demand when asked for the first error before the background scan ran', () => {
    const model = new LogModel({ buildId: 'b' });
    model.appendEvents([ev(block(0, 5000, 4321))]);
    expect(model.knownErrorLine).toBeNull();
    expect(model.firstErrorLine).toBe(4321);
    expect(model.knownErrorLine).toBe(4321);
  });

  it('marks a line starting with an error after a line ending with a space', () => {
    const model = new LogModel({ buildId: 'b' });
    model.appendEvents([ev('ok \nTraceback (most recent call last):\nmore')]);
    expect(model.firstErrorLine).toBe(1);
  });
});

describe('LogModel search', () => {
  const lines = [
    'Step 1: fetch',
    'nothing here',
    'error: first ERROR',
    'more text',
    'another error',
    'end'
  ];

  it('counts matches case-insensitively and moves with next/previous, wrapping around', () => {
    const model = modelWith(lines);
    let changes = 0;
    model.searchChanged.connect(() => changes++);
    model.setQuery('error');
    expect(changes).toBeGreaterThan(0);
    expect(model.search).toEqual({
      query: 'error',
      total: 3,
      capped: false,
      current: 0
    });
    expect(model.currentMatch).toEqual({ line: 2, column: 0, length: 5 });
    expect(model.nextMatch()).toEqual({ line: 2, column: 13, length: 5 });
    expect(model.nextMatch()).toEqual({ line: 4, column: 8, length: 5 });
    expect(model.nextMatch()).toEqual({ line: 2, column: 0, length: 5 }); // wrapped
    expect(model.search.current).toBe(0);
    expect(model.previousMatch()).toEqual({ line: 4, column: 8, length: 5 }); // wrapped back
    expect(model.search.current).toBe(2);
  });

  it('starts at the first match at or after a line, and highlights per line', () => {
    const model = modelWith(lines);
    model.setQuery('ERROR', 3);
    expect(model.currentMatch?.line).toBe(4);
    model.setQuery('');
    model.setQuery('error', 5); // none after line 5: wraps to the first
    expect(model.currentMatch?.line).toBe(2);
    expect(model.highlightsFor(2)).toEqual([
      { start: 0, end: 5, current: true },
      { start: 13, end: 18, current: false }
    ]);
    expect(model.highlightsFor(1)).toEqual([]);
  });

  it('treats the query as literal text', () => {
    const model = modelWith(['a.b', 'axb', '(x)', 'a[1]']);
    model.setQuery('a.b');
    expect(model.search.total).toBe(1);
    model.setQuery('(x)');
    expect(model.currentMatch).toEqual({ line: 2, column: 0, length: 3 });
    model.setQuery('[1]');
    expect(model.search.total).toBe(1);
  });

  it('finds nothing gracefully and clears', () => {
    const model = modelWith(lines);
    model.setQuery('zebra');
    expect(model.search).toEqual({
      query: 'zebra',
      total: 0,
      capped: false,
      current: -1
    });
    expect(model.nextMatch()).toBeNull();
    expect(model.previousMatch()).toBeNull();
    model.setQuery('');
    expect(model.search.total).toBe(0);
    expect(model.searchPattern).toBeNull();
  });

  it('extends the matches as lines arrive, keeping the current one', () => {
    const model = modelWith(lines);
    model.setQuery('error');
    model.nextMatch();
    model.appendEvents([ev('late error\nno\nERROR again')]);
    expect(model.search.total).toBe(5);
    expect(model.search.current).toBe(1);
    expect(model.matchAt(3)).toEqual({ line: 6, column: 5, length: 5 });
    expect(model.matchAt(4)).toEqual({ line: 8, column: 0, length: 5 });
  });

  it('searches a million lines quickly and caps the kept matches', () => {
    const model = new LogModel({ buildId: 'big' });
    const batch: BuildLogEvent[] = [];
    for (let i = 0; i < 1_000_000; i += 1000) {
      const chunk: string[] = [];
      for (let j = i; j < i + 1000; j++) {
        chunk.push(
          j % 50_000 === 0
            ? `#7 ${j} Successfully installed needle-${j}`
            : `#7 ${j} Collecting package-${j % 977}`
        );
      }
      batch.push(ev(chunk.join('\n')));
    }
    model.appendEvents(batch);
    expect(model.lineCount).toBe(1_000_000);

    let t0 = Date.now();
    model.setQuery('NEEDLE', 500_000);
    const rare = Date.now() - t0;
    expect(model.search.total).toBe(20);
    expect(model.currentMatch?.line).toBe(500_000);
    expect(model.previousMatch()?.line).toBe(450_000);
    expect(rare).toBeLessThan(2000);

    t0 = Date.now();
    model.setQuery('#7 ');
    const common = Date.now() - t0;
    expect(model.search.total).toBe(Math.min(1_000_000, MAX_MATCHES));
    expect(model.previousMatch()?.line).toBe(999_999);
    expect(common).toBeLessThan(4000);
  });
});
