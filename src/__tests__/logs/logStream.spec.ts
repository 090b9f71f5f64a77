import type {
  BuildLogEvent,
  BuildPhase
} from '@jupyterlab-repo2docker/service/contract';
import { LogModel } from '../../logs/logModel';
import { LogStream } from '../../logs/logStream';
import type { ConnectionState, ILogStreamSource } from '../../logs/tokens';

// jsdom has no ReadableStream global; Node's fetch Response brings its own.
const NodeReadableStream = (new Response('').body as any)
  .constructor as typeof ReadableStream;
const encoder = new TextEncoder();

/** A response body the test writes to, chunk by chunk. */
class Body {
  constructor(signal: AbortSignal) {
    this.stream = new NodeReadableStream<Uint8Array>({
      start: controller => {
        this._controller = controller;
      },
      cancel: () => {
        this.cancelled = true;
      }
    });
    signal.addEventListener('abort', () =>
      this.error(new DOMException('aborted', 'AbortError'))
    );
  }

  readonly stream: ReadableStream<Uint8Array>;
  cancelled = false;

  push(data: string | Uint8Array): void {
    if (!this._closed) {
      this._controller.enqueue(
        typeof data === 'string' ? encoder.encode(data) : data
      );
    }
  }

  close(): void {
    if (!this._closed) {
      this._closed = true;
      this._controller.close();
    }
  }

  error(reason: unknown): void {
    if (!this._closed) {
      this._closed = true;
      this._controller.error(reason);
    }
  }

  private _controller!: ReadableStreamDefaultController<Uint8Array>;
  private _closed = false;
}

interface ICall {
  buildId: string;
  lastEventId: number | null;
  signal: AbortSignal;
  body: Body;
}

/** A fake service: each call to `openLogStream` runs `serve` with a fresh body. */
class FakeSource implements ILogStreamSource {
  constructor(
    private serve: (
      call: ICall,
      index: number
    ) => Response | void | Promise<Response | void>
  ) {}

  calls: ICall[] = [];

  async openLogStream(
    buildId: string,
    lastEventId: number | null,
    signal: AbortSignal
  ): Promise<Response> {
    if (signal.aborted) {
      throw new DOMException('aborted', 'AbortError');
    }
    const call: ICall = {
      buildId,
      lastEventId,
      signal,
      body: new Body(signal)
    };
    this.calls.push(call);
    const answer = await this.serve(call, this.calls.length - 1);
    return (
      answer ??
      new Response(call.body.stream as any, {
        status: 200,
        headers: { 'Content-Type': 'text/event-stream' }
      })
    );
  }
}

const T0 = Date.parse('2025-01-01T00:00:00Z');

function event(
  seq: number,
  message: string,
  phase: BuildPhase = 'building',
  extra: Partial<BuildLogEvent> = {}
): BuildLogEvent {
  return {
    seq,
    phase,
    message,
    time: new Date(T0 + seq * 1000).toISOString(),
    ...extra
  };
}

function sse(e: BuildLogEvent): string {
  return `id: ${e.seq}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`;
}

function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'Content-Type': 'application/json' }
  });
}

const tick = (ms = 0) => new Promise(resolve => setTimeout(resolve, ms));

/** Events 1..n: one line each, some with several lines, the last one final. */
function makeEvents(n: number, final: BuildPhase = 'built'): BuildLogEvent[] {
  const events: BuildLogEvent[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const message =
      seq % 3 === 0
        ? `event ${seq} line a\nevent ${seq} line b\nevent ${seq} line c`
        : `event ${seq} ✓`;
    events.push(
      event(
        seq,
        message,
        seq === n ? final : seq < 3 ? 'fetching' : 'building',
        seq > 3 && seq < n ? { progress: { current: seq, total: n } } : {}
      )
    );
  }
  return events;
}

function expectedLines(events: BuildLogEvent[]): string[] {
  return events.flatMap(e => e.message.split('\n'));
}

function modelLines(model: LogModel): string[] {
  const out: string[] = [];
  for (let i = 0; i < model.lineCount; i++) {
    out.push(model.lines.text(i));
  }
  return out;
}

function fastModel(
  source: ILogStreamSource,
  streamOptions: LogModel.IOptions['streamOptions'] = {}
) {
  return new LogModel({
    buildId: 'b1',
    source,
    streamOptions: {
      initialDelay: 1,
      maxDelay: 5,
      random: () => 0.5,
      ...streamOptions
    }
  });
}

describe('LogStream reading', () => {
  it('splits multi-line messages and survives chunks split mid-line, mid-event and mid-character', async () => {
    const events = makeEvents(40);
    const text = ': keepalive\n\n' + events.map(sse).join(': keepalive\n\n');
    const bytes = encoder.encode(text);
    const source = new FakeSource(call => {
      void (async () => {
        // Feed 1..7 bytes at a time: splits lines, events and the UTF-8 bytes of "✓".
        let i = 0;
        let size = 1;
        while (i < bytes.length) {
          call.body.push(bytes.slice(i, i + size));
          i += size;
          size = (size % 7) + 1;
          if (i % 50 < 7) {
            await tick();
          }
        }
      })();
    });
    const model = fastModel(source);
    await model.start();
    expect(modelLines(model)).toEqual(expectedLines(events));
    expect(model.lineCount).toBe(40 + 2 * 13);
    expect(model.phase).toBe('built');
    expect(model.connection.status).toBe('ended');
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0].lastEventId).toBeNull();
    expect(source.calls[0].buildId).toBe('b1');
    // The server may still hold the connection: the client closed it at the final phase.
    expect(source.calls[0].signal.aborted).toBe(true);
  });

  it('reports phase, progress and a fixed elapsed time once final', async () => {
    const events = makeEvents(10, 'failed');
    const source = new FakeSource(call => {
      void (async () => {
        call.body.push(events.slice(0, 2).map(sse).join(''));
        await tick(5);
        call.body.push(events.slice(2).map(sse).join(''));
      })();
    });
    const model = fastModel(source);
    const phases: Array<string | null> = [];
    model.stateChanged.connect(() => phases.push(model.phase));
    await model.start();
    // connecting, live, first batch, second batch, ended
    expect(phases).toEqual([null, null, 'fetching', 'failed', 'failed']);
    expect(model.phase).toBe('failed');
    expect(model.isFinal).toBe(true);
    expect(model.progress).toEqual({ current: 9, total: 10 });
    expect(model.startedAt).toBe(T0 + 1000);
    expect(model.elapsed()).toBe(9000);
    expect(model.elapsed(Date.now() + 3_600_000)).toBe(9000);
  });

  it('resumes after a dropped connection with Last-Event-ID, every line exactly once', async () => {
    const events = makeEvents(30);
    const drops = [7, 8, 19]; // the connections end after these seqs
    const source = new FakeSource(call => {
      const from = call.lastEventId ?? 0;
      const next = drops.find(d => d > from) ?? events.length;
      void (async () => {
        for (const e of events.slice(from, next)) {
          call.body.push(sse(e));
          await tick();
        }
        if (next < events.length) {
          if (next === 19) {
            // Die in the middle of the next event: that half must not count.
            call.body.push(sse(events[next]).slice(0, 25));
            await tick();
            call.body.error(new TypeError('network error'));
          } else {
            call.body.close(); // the server closed early
          }
        }
      })();
    });
    const model = fastModel(source);
    const states: ConnectionState[] = [];
    model.stateChanged.connect(() => states.push(model.connection));
    await model.start();
    expect(source.calls.map(c => c.lastEventId)).toEqual([null, 7, 8, 19]);
    expect(modelLines(model)).toEqual(expectedLines(events));
    expect(model.eventCount).toBe(30);
    expect(states.some(s => s.status === 'reconnecting')).toBe(true);
    expect(model.connection.status).toBe('ended');
    // Stopped at the final phase: no further connection.
    await tick(30);
    expect(source.calls).toHaveLength(4);
  });

  it('ignores events it already has when a server replays too much', async () => {
    const events = makeEvents(12);
    const source = new FakeSource((call, index) => {
      if (index === 0) {
        call.body.push(events.slice(0, 6).map(sse).join(''));
        call.body.close();
      } else {
        call.body.push(events.slice(2).map(sse).join('')); // replays 3..6 again
      }
    });
    const model = fastModel(source);
    await model.start();
    expect(source.calls[1].lastEventId).toBe(6);
    expect(modelLines(model)).toEqual(expectedLines(events));
  });

  it('says to reload JupyterLab on 401, without retrying', async () => {
    const source = new FakeSource(() =>
      jsonError(401, 'invalid_token', 'token expired')
    );
    const model = fastModel(source);
    await model.start();
    const state = model.connection;
    expect(state.status).toBe('error');
    if (state.status === 'error') {
      expect(state.httpStatus).toBe(401);
      expect(state.code).toBe('invalid_token');
      expect(state.message).toMatch(/Reload JupyterLab/);
    }
    await tick(30);
    expect(source.calls).toHaveLength(1);
  });

  it('explains 403 and 404 in plain words and stops', async () => {
    const forbidden = fastModel(
      new FakeSource(() =>
        jsonError(403, 'not_owner', 'Only the owner may read this log')
      )
    );
    await forbidden.start();
    expect(forbidden.connection).toMatchObject({
      status: 'error',
      httpStatus: 403
    });
    expect((forbidden.connection as any).message).toMatch(
      /not allowed.*Only the owner/
    );

    const missing = new FakeSource(() =>
      jsonError(404, 'not_found', 'no such build')
    );
    const gone = fastModel(missing);
    await gone.start();
    // The service keeps builds in memory: one it does not know was lost in a restart.
    expect((gone.connection as any).message).toMatch(
      /this build's log is gone: the service restarted/i
    );
    expect(missing.calls).toHaveLength(1);
  });

  it('retries a 503 with backoff and then streams', async () => {
    const events = makeEvents(5);
    const source = new FakeSource((call, index) => {
      if (index < 2) {
        return jsonError(
          503,
          'docker_unreachable',
          'Docker engine unreachable'
        );
      }
      call.body.push(events.map(sse).join(''));
    });
    const model = fastModel(source);
    const reasons: string[] = [];
    model.stateChanged.connect(() => {
      if (model.connection.status === 'reconnecting') {
        reasons.push(model.connection.reason);
      }
    });
    await model.start();
    expect(source.calls).toHaveLength(3);
    expect(reasons[0]).toMatch(/unavailable.*503.*Docker engine unreachable/);
    expect(model.lineCount).toBe(expectedLines(events).length);
  });

  it('backs off exponentially with jitter, capped, and gives up after maxAttempts', async () => {
    const source = new FakeSource(() => {
      throw new TypeError('Failed to fetch');
    });
    const random = jest.fn(() => 1 - Number.EPSILON);
    const stream = new LogStream({
      buildId: 'b',
      source,
      initialDelay: 4,
      maxDelay: 20,
      maxAttempts: 5,
      random
    });
    const delays: number[] = [];
    stream.stateChanged.connect((_, s) => {
      if (s.status === 'reconnecting') {
        delays.push(s.retryAt - Date.now());
      }
    });
    await stream.start();
    // base 4, 8, 16, 20 (capped), 20; with random ≈ 1 the delay is the base.
    expect(delays).toHaveLength(5);
    [4, 8, 16, 20, 20].forEach((d, i) =>
      expect(Math.abs(delays[i] - d)).toBeLessThanOrEqual(1)
    );
    expect(source.calls).toHaveLength(6);
    expect(stream.state.status).toBe('error');
    expect((stream.state as any).message).toMatch(
      /has not answered for \d+ min.*Failed to fetch.*Press Retry/
    );
    expect((stream.state as any).code).toBe('gave_up');

    // With random = 0 the delay is half the base ("equal jitter").
    const half = new LogStream({
      buildId: 'b',
      source,
      initialDelay: 8,
      maxDelay: 100,
      maxAttempts: 1,
      random: () => 0
    });
    let seen = -1;
    half.stateChanged.connect((_, s) => {
      if (s.status === 'reconnecting') {
        seen = s.retryAt - Date.now();
      }
    });
    await half.start();
    expect(Math.abs(seen - 4)).toBeLessThanOrEqual(1);
  });

  it('reconnects when the stream goes silent past the idle timeout', async () => {
    const events = makeEvents(6);
    const source = new FakeSource((call, index) => {
      if (index === 0) {
        call.body.push(events.slice(0, 2).map(sse).join('')); // then silence
      } else {
        call.body.push(
          events
            .slice(call.lastEventId ?? 0)
            .map(sse)
            .join('')
        );
      }
    });
    const model = fastModel(source, { idleTimeout: 40 });
    await model.start();
    expect(source.calls.map(c => c.lastEventId)).toEqual([null, 2]);
    expect(source.calls[0].signal.aborted).toBe(true);
    expect(modelLines(model)).toEqual(expectedLines(events));
  });

  it('refuses an answer that is not an event stream', async () => {
    const source = new FakeSource(
      () =>
        new Response('<html>login</html>', {
          status: 200,
          headers: { 'Content-Type': 'text/html' }
        })
    );
    const model = fastModel(source);
    await model.start();
    expect(model.connection.status).toBe('error');
    expect((model.connection as any).message).toMatch(/text\/html/);
    expect(source.calls).toHaveLength(1);
  });

  it('aborts the request when disposed, and does not reconnect', async () => {
    const source = new FakeSource(call => {
      call.body.push(sse(event(1, 'first')));
    });
    const model = fastModel(source);
    const done = model.start();
    await tick(10);
    expect(model.lineCount).toBe(1);
    expect(model.connection.status).toBe('live');
    model.dispose();
    await done;
    expect(source.calls).toHaveLength(1);
    expect(source.calls[0].signal.aborted).toBe(true);
    await tick(20);
    expect(source.calls).toHaveLength(1);
  });
});

describe('LogStream: a replayed log of long events', () => {
  it('stores long events undecoded, and they read, search and scan exactly as decoded ones', async () => {
    const events: BuildLogEvent[] = [];
    let n = 0;
    for (let seq = 1; seq <= 6; seq++) {
      const lines: string[] = [];
      for (let k = 0; k < 400; k++, n++) {
        lines.push(
          n === 1234
            ? '#9 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2'
            : n % 9 === 0
              ? `\x1b[1;32m#6 ${n}\x1b[0m "done" C:\\path ✓`
              : n % 31 === 0
                ? `50%\r100% ${n}`
                : `#6 ${n} Collecting package-${n}`
        );
      }
      events.push(
        event(seq, lines.join('\n'), seq === 6 ? 'failed' : 'building')
      );
    }
    const received: BuildLogEvent[] = [];
    const source = new FakeSource(call => {
      call.body.push(events.map(sse).join(''));
    });
    const model = fastModel(source);
    model.start();
    model.stream!.received.connect((_, batch) => received.push(...batch));
    const reference = new LogModel({ buildId: 'ref' });
    reference.appendEvents(events.map(e => ({ ...e, message: e.message })));
    await model.stream!.start();

    expect(model.lineCount).toBe(2400);
    // Not decoded on arrival (the reference model was given decoded messages)...
    expect(model.lines.unsettledLines).toBe(2400);
    expect(model.phase).toBe('failed');
    // ...yet every line, its raw text, the first error and a search come out the same.
    expect(model.firstErrorLine).toBe(1234);
    expect(reference.firstErrorLine).toBe(1234);
    for (let i = 0; i < 2400; i++) {
      expect(model.lines.text(i)).toBe(reference.lines.text(i));
      expect(model.lines.raw(i)).toBe(reference.lines.raw(i));
    }
    model.setQuery('"done"');
    reference.setQuery('"done"');
    expect(model.search.total).toBe(reference.search.total);
    expect(model.search.total).toBeGreaterThan(200);
    expect(model.plainText()).toBe(reference.plainText());
    // Whoever else listens to the stream still gets each message decoded.
    expect(received.map(e => e.message)).toEqual(events.map(e => e.message));
  });
});

describe('LogModel.retry after a long outage', () => {
  it('gives up with a clear message, and a retry resumes after the last event', async () => {
    const calls: Array<number | null> = [];
    let up = true;
    const source: ILogStreamSource = {
      openLogStream: async (_id, lastEventId) => {
        calls.push(lastEventId);
        if (!up) {
          throw new TypeError('Failed to fetch');
        }
        up = false; // one event, then the service goes away
        const e = {
          seq: 1,
          phase: 'building' as const,
          message: 'first',
          time: new Date().toISOString()
        };
        return new Response(
          `id: 1\nevent: log\ndata: ${JSON.stringify(e)}\n\n`,
          {
            headers: { 'Content-Type': 'text/event-stream' }
          }
        );
      }
    };
    const model = new LogModel({
      buildId: 'b',
      source,
      streamOptions: {
        initialDelay: 1,
        maxDelay: 2,
        maxAttempts: 3,
        idleTimeout: 0,
        random: () => 0
      }
    });
    await model.start();
    expect(model.connection.status).toBe('error');
    expect((model.connection as any).code).toBe('gave_up');
    expect((model.connection as any).message).toMatch(
      /Press Retry once the service is back/
    );
    expect(model.lineCount).toBe(1);
    const before = calls.length;
    up = true;
    void model.retry();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(calls[before]).toBe(1);
    model.dispose();
  });
});
