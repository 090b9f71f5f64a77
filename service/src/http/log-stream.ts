/**
 * `GET /api/builds/{id}/logs` as Server-Sent Events. Each event's id is its sequence number, so a
 * client reconnecting with `Last-Event-ID` gets exactly what it missed. Events are read from the
 * build's log by cursor and written in batches that respect the socket's backpressure: a slow
 * client holds a cursor, not a copy. A comment heartbeat keeps quiet streams alive through
 * proxies; the stream is never compressed (jupyter-server-proxy would pass gzip to the browser).
 */
import type { ServerResponse } from 'node:http';
import { EventBuffer } from 'better-sse';
import {
  LOG_STREAM_EVENTS,
  type ServiceStoppingEvent
} from '../api/contract.js';
import type { BuildRecord } from '../builds/build-record.js';

/** Events per write at most, and bytes of log text per write at most (events carry up to a
 * thousand lines each, so the count alone would let one write hold megabytes per client). */
const BATCH = 1000;
const MAX_WRITE_TEXT = 256 * 1024;

/** SSE event name of the stream's last event when the service stops (see the contract). */
export const SERVICE_STOPPING_EVENT = LOG_STREAM_EVENTS.serviceStopping;

/** A stream the service can end when it stops; kept per build, so per service. */
interface OpenStream {
  stop(message: string): void;
}
const openStreams = new WeakMap<BuildRecord, Set<OpenStream>>();
/** Builds whose streams were told the service is stopping, with what they were told. */
const stoppedBuilds = new WeakMap<BuildRecord, string>();

/**
 * The service is stopping: every open stream of these builds gets what it has not yet been
 * sent of the log (as far as the socket takes it without waiting), then one final
 * `service_stopping` event, and is closed; streams opened later get the same at once.
 * Returns how many streams were stopped.
 */
export function stopLogStreams(
  builds: Iterable<BuildRecord>,
  message: string
): number {
  let count = 0;
  for (const build of builds) {
    stoppedBuilds.set(build, message);
    for (const stream of [...(openStreams.get(build) ?? [])]) {
      stream.stop(message);
      count++;
    }
  }
  return count;
}

export interface LogStreamOptions {
  heartbeatMs: number;
  onOpen?: () => void;
  onClose?: () => void;
}

/** Parse a Last-Event-ID header; anything but a non-negative integer means "from the start". */
export function parseLastEventId(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d{1,15}$/.test(text.trim())
    ? Number(text.trim())
    : 0;
}

/** Resolve on 'drain' or 'close', leaving no listener behind (a race of two once() would). */
function waitForDrainOrClose(res: ServerResponse): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export function streamBuildLog(
  build: BuildRecord,
  res: ServerResponse,
  lastEventId: number,
  options: LogStreamOptions
): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no'
  });
  res.flushHeaders();
  options.onOpen?.();

  let cursor = lastEventId;
  let pumping = false;
  let closed = false;

  const close = (): void => {
    if (closed) {
      return;
    }
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    streams?.delete(handle);
    options.onClose?.();
  };

  // On stop nothing waits for the client: what the socket does not take now is not sent, and a
  // client that does not read is cut off shortly after.
  const handle: OpenStream = {
    stop(message: string): void {
      if (closed) {
        return;
      }
      close();
      for (
        let batch = build.eventsAfter(cursor, BATCH);
        batch.length > 0 && res.writableLength < MAX_WRITE_TEXT;
      ) {
        const buffer = new EventBuffer(); // one per write: read() does not empty it
        for (const event of batch) {
          buffer.push(event, LOG_STREAM_EVENTS.log, String(event.seq));
          cursor = event.seq;
        }
        res.write(buffer.read());
        batch = build.eventsAfter(cursor, BATCH);
      }
      // No id: a client that resumes (from another service process) resumes after the last log event.
      const stopping: ServiceStoppingEvent = {
        message,
        time: new Date().toISOString(),
        lastSeq: build.lastSeq
      };
      // Written by hand: better-sse would give an event without an id a random one, which the
      // browser's EventSource would then send back as Last-Event-ID. (JSON has no newlines.)
      res.end(
        `event: ${SERVICE_STOPPING_EVENT}\ndata: ${JSON.stringify(stopping)}\n\n`
      );
      setTimeout(() => res.destroy(), 500).unref();
    }
  };
  let streams = openStreams.get(build);
  if (!streams) {
    streams = new Set();
    openStreams.set(build, streams);
  }
  streams.add(handle);

  const pump = async (): Promise<void> => {
    if (pumping || closed) {
      return;
    }
    pumping = true;
    try {
      // Events appended while we wait for 'drain' are picked up by the next turn of the loop.
      for (;;) {
        if (closed) {
          return;
        }
        const batch = build.eventsAfter(cursor, BATCH);
        if (batch.length === 0) {
          break;
        }
        const buffer = new EventBuffer();
        let text = 0;
        for (const event of batch) {
          buffer.push(event, LOG_STREAM_EVENTS.log, String(event.seq));
          cursor = event.seq;
          text += event.message.length;
          if (text >= MAX_WRITE_TEXT) {
            break; // the rest goes in the next write, after the socket has taken this one
          }
        }
        if (!res.write(buffer.read())) {
          await waitForDrainOrClose(res);
        }
      }
      if (build.isFinal && cursor >= build.lastSeq) {
        res.end();
        close();
      }
    } finally {
      pumping = false;
    }
  };

  // Lines arrive in bursts (one stderr chunk holds many); waking once per turn of the event loop
  // turns a burst into one write per client.
  let scheduled = false;
  const unsubscribe = build.subscribe(() => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        void pump();
      });
    }
  });
  const heartbeat = setInterval(() => {
    if (!pumping && !closed) {
      res.write(new EventBuffer().comment('keepalive').dispatch().read());
    }
  }, options.heartbeatMs);
  heartbeat.unref();
  res.on('close', close);
  const stoppedWith = stoppedBuilds.get(build);
  if (stoppedWith !== undefined) {
    handle.stop(stoppedWith);
    return;
  }
  void pump();
}
