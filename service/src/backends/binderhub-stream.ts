/**
 * BinderHub's build event stream (`GET /build/...` with `Accept: text/event-stream`) turned into
 * our phases and log lines. Pure: fed text, it returns updates; no I/O (binderhub-client.ts
 * reads the stream).
 *
 * What BinderHub sends (binderhub/builder.py at b9fad99, and seen on this machine):
 * - `data: {"phase": "waiting", "message": "Waiting for build to start...\n"}` first;
 * - repo2docker's `--json-logs` lines relayed as they are: phase fetching, building or pushing,
 *   or none (the first line); `failed` with `exc_info` (a traceback) when repo2docker fails;
 *   `unknown` for output that was not JSON;
 * - `{"phase": "ready", "imageName": …}` at the end of a build-only request (the stream then
 *   closes), at once with "Done! Found built image" when the image exists;
 * - `{"phase": "failed"}` (bare) after repo2docker's failed line, and then nothing but
 *   `:keepalive` comments every 25 s: BinderHub never closes a failed stream itself;
 * - `{"phase": "failed", "status_code": 400, …}` for a refused request (wrong `Accept`, build-only
 *   not enabled, …), as a 200 answer: an event stream cannot carry an HTTP status;
 * - `built` and `launching` only when it launches servers, which a build-only request never does.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { BuildPhase, BuildProgress } from '../api/contract.js';
import { shorten } from './buildkit-failure.js';
import { FailureWitness, progressOf } from './repo2docker-log.js';

/** One thing the stream said, in our terms. */
export type BinderHubUpdate =
  /** A log line; `phase` is ours when BinderHub named one (null: the phase goes on). */
  | {
      kind: 'line';
      phase: BuildPhase | null;
      message: string;
      progress: BuildProgress | null;
    }
  /** A keepalive comment: BinderHub is still there. */
  | { kind: 'keepalive' }
  /** The image exists; the stream is over. `message` is BinderHub's last words, for the log. */
  | { kind: 'ready'; imageName: string; message: string; alreadyBuilt: boolean }
  /**
   * The build failed or BinderHub refused it; the stream is over (close it: BinderHub will not).
   * `error` is one sentence for users; `message` BinderHub's own words for the log (no traceback);
   * `statusCode` the HTTP status BinderHub meant, for refusals.
   */
  | {
      kind: 'failed';
      error: string;
      message: string;
      statusCode: number | null;
      traceback: string | null;
    };

/** BinderHub's phases that are ours under another name or the same one. */
const PHASES: Readonly<Record<string, BuildPhase>> = {
  // BinderHub's own queue (its build pool) before repo2docker starts.
  waiting: 'queued',
  fetching: 'fetching',
  building: 'building',
  pushing: 'pushing'
};
const FAILED = new Set(['failed', 'failure']);

/** The longest event we buffer: a BinderHub (or a proxy) that never ends one cannot fill memory. */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

function trimNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** BinderHub's own sentence, on one line and not too long; `fallback` when it said nothing. */
function sentence(message: string, fallback: string): string {
  const text = shorten(message, 300);
  return text === '' ? fallback : text;
}

/**
 * Maps one event's `data` to an update; `null` for what carries nothing (an empty line without
 * a phase). `witness` sees every log line so that a failure can name the step that failed.
 */
export function mapBinderHubData(
  data: string,
  witness: FailureWitness = new FailureWitness()
): BinderHubUpdate | null {
  let record: unknown;
  try {
    record = JSON.parse(data);
  } catch {
    record = null;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    // Not BinderHub's JSON (a proxy's words, say): keep it as text rather than lose it.
    const message = trimNewline(data);
    witness.line(message);
    return message.trim() === ''
      ? null
      : { kind: 'line', phase: null, message, progress: progressOf(message) };
  }
  const fields = record as Record<string, unknown>;
  const phase = typeof fields.phase === 'string' ? fields.phase : null;
  const message =
    typeof fields.message === 'string' ? trimNewline(fields.message) : '';

  if (phase !== null && FAILED.has(phase)) {
    const statusCode =
      typeof fields.status_code === 'number' ? fields.status_code : null;
    const traceback =
      typeof fields.exc_info === 'string' ? fields.exc_info : null;
    let error: string;
    if (statusCode !== null) {
      error = `BinderHub refused the build (HTTP ${statusCode}): ${sentence(message, 'no reason given')}`;
    } else if (
      traceback === null &&
      message !== '' &&
      !/^Error during build:/i.test(message)
    ) {
      // BinderHub's own refusals before any build (unresolvable ref, protocol not allowed, …).
      error = sentence(
        message,
        'BinderHub reported a failure without a reason'
      );
    } else {
      error = witness.summary(message);
    }
    return { kind: 'failed', error, message, statusCode, traceback };
  }
  if (phase === 'ready') {
    const imageName =
      typeof fields.imageName === 'string' ? fields.imageName : '';
    if (imageName === '') {
      return {
        kind: 'failed',
        error: 'BinderHub said the build was ready but named no image',
        message,
        statusCode: null,
        traceback: null
      };
    }
    return {
      kind: 'ready',
      imageName,
      message,
      alreadyBuilt: /found built image/i.test(message)
    };
  }
  // `built`, `launching`, `unknown` or none: a line in whatever phase we are in.
  const ours =
    phase !== null && Object.hasOwn(PHASES, phase) ? PHASES[phase] : null;
  witness.line(message);
  if (message === '' && ours === null) {
    return null;
  }
  return { kind: 'line', phase: ours, message, progress: progressOf(message) };
}

/**
 * Feeds the stream's text in whatever chunks it arrives and returns the updates each chunk
 * completes. Once the stream has said `ready` or `failed` it is over: later events are dropped
 * (a bare `{"phase":"failed"}` follows repo2docker's failed line, for one).
 */
export class BinderHubStreamParser {
  private readonly parser: EventSourceParser;
  private readonly witness = new FailureWitness();
  private pending: BinderHubUpdate[] = [];
  private final: BinderHubUpdate | null = null;

  constructor(maxEventChars = MAX_EVENT_CHARS) {
    this.parser = createParser({
      maxBufferSize: maxEventChars,
      onEvent: event => {
        // BinderHub sends unnamed events only; a named one is not part of its protocol.
        if (event.event !== undefined && event.event !== 'message') {
          return;
        }
        this.push(mapBinderHubData(event.data, this.witness));
      },
      onComment: () => this.push({ kind: 'keepalive' }),
      onError: error => {
        if (error.type === 'max-buffer-size-exceeded') {
          this.push({
            kind: 'failed',
            error: `BinderHub sent an event longer than ${maxEventChars} characters; the build's stream was closed`,
            message: '',
            statusCode: null,
            traceback: null
          });
        }
        // Other parse errors are lines that are not `field: value`: SSE says ignore them.
      }
    });
  }

  /** The final update (`ready` or `failed`) once seen. */
  get done(): BinderHubUpdate | null {
    return this.final;
  }

  feed(chunk: string): BinderHubUpdate[] {
    if (this.final === null && chunk !== '') {
      this.parser.feed(chunk);
    }
    return this.take();
  }

  /**
   * The stream ended. An event cut off before its blank line is discarded, as SSE says: a
   * half-sent `ready` is no proof that the image exists.
   */
  end(): BinderHubUpdate[] {
    if (this.final === null) {
      this.parser.reset({ consume: true });
    }
    return this.take();
  }

  private push(update: BinderHubUpdate | null): void {
    if (update === null || this.final !== null) {
      return;
    }
    if (update.kind === 'ready' || update.kind === 'failed') {
      this.final = update;
    }
    this.pending.push(update);
  }

  private take(): BinderHubUpdate[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
