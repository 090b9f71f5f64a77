/**
 * Reads a build's log stream (`text/event-stream`) with `fetch`, so that it can send the
 * JupyterHub token in a header and resume with `Last-Event-ID` itself, which `EventSource`
 * cannot do.
 *
 * After a dropped connection (network error, a stream that ends before the final phase, a
 * silent stream, a 502/503/504) it reconnects after an exponential backoff with jitter, capped,
 * asking only for the events after the last one it saw. It stops for good at a final phase,
 * on a 401/403/404 (no retry loop), or when disposed.
 */

import {
  LOG_STREAM_EVENTS,
  type BuildLogEvent,
  type ErrorBody
} from '@jupyterlab-repo2docker/service/contract';
import {
  nullTranslator,
  type ITranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { FINAL_PHASES, isBuildPhase, isFinalPhase } from '../phases';
import {
  decodeJsonLiteral,
  splitEventData,
  type IEncodedMessage
} from './jsonMessage';
import type { ConnectionState, ILogStreamSource } from './tokens';

export { FINAL_PHASES, isFinalPhase };

/**
 * A log event as received. A long one's message is decoded only when asked for: the model
 * stores `encoded` as it is (see `jsonMessage.ts`), and `message` decodes it for anyone else.
 */
export interface IReceivedLogEvent extends BuildLogEvent {
  readonly encoded?: IEncodedMessage;
}

/** Statuses worth retrying: the service or a proxy in front of it is briefly away. */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export namespace LogStream {
  export interface IOptions {
    buildId: string;
    source: ILogStreamSource;
    translator?: ITranslator;
    /** First reconnection delay in ms (default 1000); a `retry:` field from the server replaces it. */
    initialDelay?: number;
    /** Largest reconnection delay in ms (default 30000). */
    maxDelay?: number;
    /** Give up after this many tries in a row that bring no event (default 12). */
    maxAttempts?: number;
    /**
     * Reconnect when nothing at all (not even the 15 s keep-alive comment) arrived for this many
     * ms (default 45000; 0 turns it off).
     */
    idleTimeout?: number;
    /** Random numbers in [0, 1) for the jitter (tests pass their own). */
    random?: () => number;
    /** Resume after this event (a retry of a stream that gave up keeps what it had). */
    lastEventId?: number | null;
  }
}

/** A `fetch`-based SSE reader for one build's log. */
export class LogStream {
  constructor(options: LogStream.IOptions) {
    this.buildId = options.buildId;
    this._source = options.source;
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_repo2docker'
    );
    this._initialDelay = options.initialDelay ?? 1000;
    this._maxDelay = options.maxDelay ?? 30000;
    this._maxAttempts = options.maxAttempts ?? 12;
    this._idleTimeout = options.idleTimeout ?? 45000;
    this._random = options.random ?? Math.random;
    this._lastEventId = options.lastEventId ?? null;
  }

  readonly buildId: string;

  /** Events as they arrive, in order, each exactly once; one emission per network read. */
  get received(): ISignal<this, readonly IReceivedLogEvent[]> {
    return this._received;
  }

  /** The connection state changed. */
  get stateChanged(): ISignal<this, ConnectionState> {
    return this._stateChanged;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** `seq` of the last event received, or `null` before the first. */
  get lastEventId(): number | null {
    return this._lastEventId;
  }

  /** How many times the stream was opened (first connection included). */
  get connections(): number {
    return this._connections;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Open the stream; resolves when it has stopped for good (final phase, error or dispose). */
  start(): Promise<void> {
    if (!this._running) {
      this._running = this._run();
    }
    return this._running;
  }

  /** Stop reading and abort the request. */
  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._abort?.abort();
    this._wake?.();
    if (this._state.status !== 'ended' && this._state.status !== 'error') {
      this._setState({ status: 'idle' });
    }
    Signal.clearData(this);
  }

  private async _run(): Promise<void> {
    let attempt = 0;
    let failingSince: number | null = null;
    while (!this._disposed) {
      this._setState({ status: 'connecting', attempt });
      const before = this._lastEventId;
      const outcome = await this._connectOnce();
      if (this._disposed) {
        return;
      }
      if (outcome.kind === 'final') {
        this._setState({ status: 'ended' });
        return;
      }
      if (outcome.kind === 'fatal') {
        this._setState(outcome.state);
        return;
      }
      // A try that brought events starts the backoff afresh.
      attempt = this._lastEventId !== before ? 1 : attempt + 1;
      if (attempt === 1) {
        failingSince = Date.now();
      }
      if (attempt > this._maxAttempts) {
        const minutes = Math.max(
          1,
          Math.round((Date.now() - (failingSince ?? Date.now())) / 60000)
        );
        this._setState({
          status: 'error',
          code: 'gave_up',
          message: this._trans.__(
            'The service has not answered for %1 min (%2), so this log stopped updating. Press Retry once the service is back.',
            minutes,
            outcome.reason
          )
        });
        return;
      }
      const delay = this._delay(attempt);
      this._setState({
        status: 'reconnecting',
        attempt,
        retryAt: Date.now() + delay,
        reason: outcome.reason
      });
      await this._sleep(delay);
    }
  }

  /** Backoff before try `attempt` (1-based): exponential, capped, with "equal jitter". */
  private _delay(attempt: number): number {
    const base = Math.min(
      this._maxDelay,
      this._initialDelay * 2 ** Math.min(attempt - 1, 30)
    );
    return Math.round(base / 2 + (this._random() * base) / 2);
  }

  /** Wait `ms`, or less if disposed or the browser comes back online. */
  private _sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(done, ms);
      const online = typeof window !== 'undefined' ? window : null;
      online?.addEventListener('online', done);
      function done() {
        clearTimeout(timer);
        online?.removeEventListener('online', done);
        resolve();
      }
      this._wake = () => {
        this._wake = null;
        done();
      };
    });
  }

  /** One connection, read until it ends. */
  private async _connectOnce(): Promise<Outcome> {
    const abort = new AbortController();
    this._abort = abort;
    this._connections++;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let idleExpired = false;
    const armIdle = () => {
      if (this._idleTimeout > 0) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          idleExpired = true;
          abort.abort();
        }, this._idleTimeout);
      }
    };
    try {
      armIdle();
      let response: Response;
      try {
        response = await this._source.openLogStream(
          this.buildId,
          this._lastEventId,
          abort.signal
        );
      } catch (reason) {
        return this._dropped(idleExpired, reason);
      }
      if (!response.ok) {
        return await this._httpError(response);
      }
      const contentType = response.headers.get('Content-Type');
      if (
        contentType &&
        !contentType.toLowerCase().includes('text/event-stream')
      ) {
        abort.abort();
        return {
          kind: 'fatal',
          state: {
            status: 'error',
            httpStatus: response.status,
            message: this._trans.__(
              'The service answered with %1 instead of a log stream. A proxy or login page may be in the way; try reloading JupyterLab.',
              contentType.split(';')[0]
            )
          }
        };
      }
      if (!response.body) {
        return {
          kind: 'retry',
          reason: this._trans.__('the service sent an empty answer')
        };
      }
      this._setState({ status: 'live' });

      let final = false;
      let batch: IReceivedLogEvent[] = [];
      const parser = createParser({
        onEvent: (message: EventSourceMessage) => {
          if (final) {
            return;
          }
          const event = this._parseEvent(message);
          if (!event) {
            return;
          }
          if (this._lastEventId !== null && event.seq <= this._lastEventId) {
            return; // seen already (a server replaying more than asked for)
          }
          this._lastEventId = event.seq;
          batch.push(event);
          if (FINAL_PHASES.has(event.phase)) {
            final = true;
          }
        },
        onRetry: (ms: number) => {
          if (ms > 0) {
            this._initialDelay = Math.min(ms, this._maxDelay);
          }
        }
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (this._disposed) {
            return { kind: 'retry', reason: '' };
          }
          if (done) {
            parser.feed(decoder.decode());
          } else {
            armIdle();
            parser.feed(decoder.decode(value, { stream: true }));
          }
          if (batch.length) {
            const events = batch;
            batch = [];
            this._received.emit(events);
          }
          if (final) {
            void reader.cancel().catch(() => undefined);
            abort.abort();
            return { kind: 'final' };
          }
          if (done) {
            return {
              kind: 'retry',
              reason: this._trans.__(
                'the stream closed before the build finished'
              )
            };
          }
        }
      } catch (reason) {
        if (batch.length && !this._disposed) {
          this._received.emit(batch);
        }
        return this._dropped(idleExpired, reason);
      }
    } finally {
      clearTimeout(idleTimer);
      if (this._abort === abort) {
        this._abort = null;
      }
    }
  }

  private _dropped(idleExpired: boolean, reason: unknown): Outcome {
    if (idleExpired) {
      return {
        kind: 'retry',
        reason: this._trans.__(
          'no data for %1 s',
          Math.round(this._idleTimeout / 1000)
        )
      };
    }
    const detail =
      reason instanceof Error && reason.message
        ? reason.message
        : String(reason);
    return {
      kind: 'retry',
      reason: this._trans.__('connection lost (%1)', detail)
    };
  }

  /** Read one SSE message as a `BuildLogEvent`, or `null` if it is not one. */
  private _parseEvent(message: EventSourceMessage): IReceivedLogEvent | null {
    if (
      message.event !== undefined &&
      message.event !== LOG_STREAM_EVENTS.log
    ) {
      return null;
    }
    let data: unknown;
    const split = splitEventData(message.data);
    if (split) {
      data = split.rest;
    } else {
      try {
        data = JSON.parse(message.data);
      } catch {
        return null;
      }
    }
    if (typeof data !== 'object' || data === null) {
      return null;
    }
    const event = data as Partial<BuildLogEvent>;
    let seq = event.seq;
    if (typeof seq !== 'number' || !Number.isFinite(seq)) {
      seq = message.id !== undefined ? Number(message.id) : NaN;
    }
    if (!Number.isFinite(seq) || !isBuildPhase(event.phase)) {
      return null;
    }
    const fields = {
      seq,
      phase: event.phase,
      time:
        typeof event.time === 'string' ? event.time : new Date().toISOString(),
      ...(event.progress &&
      typeof event.progress.current === 'number' &&
      typeof event.progress.total === 'number'
        ? {
            progress: {
              current: event.progress.current,
              total: event.progress.total
            }
          }
        : {})
    };
    if (split) {
      const encoded = split.message;
      let decoded: string | null = null;
      return {
        ...fields,
        encoded,
        get message(): string {
          decoded ??= decodeJsonLiteral(encoded.literal);
          return decoded;
        }
      };
    }
    return {
      ...fields,
      message: typeof event.message === 'string' ? event.message : ''
    };
  }

  private async _httpError(response: Response): Promise<Outcome> {
    const status = response.status;
    let body: ErrorBody['error'] | null = null;
    try {
      const json = (await response.json()) as Partial<ErrorBody>;
      if (
        json &&
        typeof json.error === 'object' &&
        json.error &&
        typeof json.error.message === 'string'
      ) {
        body = json.error;
      }
    } catch {
      // not JSON: a proxy's page
    }
    const serverSays = body?.message ?? response.statusText ?? '';
    const withDetail = (text: string) =>
      serverSays ? `${text} (${serverSays})` : text;
    let message: string;
    switch (status) {
      case 401:
        message = this._trans.__(
          'Your session has expired or is no longer valid. Reload JupyterLab to sign in again, then reopen this log.'
        );
        break;
      case 403:
        message = withDetail(
          this._trans.__('You are not allowed to read the log of this build.')
        );
        break;
      case 404:
        // The service keeps builds in memory only: one it does not know was lost in a restart.
        message = this._trans.__(
          "This build's log is gone: the service restarted and no longer knows this build. Build the image again if you need its log."
        );
        break;
      case 410:
        message = this._trans.__(
          "This build's log is no longer kept: the service keeps only the most recent logs. Build the image again if you need its log."
        );
        break;
      default:
        if (RETRY_STATUSES.has(status)) {
          return {
            kind: 'retry',
            reason: withDetail(
              this._trans.__('the service is unavailable (HTTP %1)', status)
            )
          };
        }
        message = withDetail(
          this._trans.__(
            'The service refused the log request (HTTP %1).',
            status
          )
        );
    }
    return {
      kind: 'fatal',
      state: {
        status: 'error',
        message,
        httpStatus: status,
        ...(body?.code ? { code: body.code } : {})
      }
    };
  }

  private _setState(state: ConnectionState): void {
    this._state = state;
    this._stateChanged.emit(state);
  }

  private _source: ILogStreamSource;
  private _trans: TranslationBundle;
  private _initialDelay: number;
  private _maxDelay: number;
  private _maxAttempts: number;
  private _idleTimeout: number;
  private _random: () => number;
  private _state: ConnectionState = { status: 'idle' };
  private _lastEventId: number | null = null;
  private _connections = 0;
  private _abort: AbortController | null = null;
  private _wake: (() => void) | null = null;
  private _running: Promise<void> | null = null;
  private _disposed = false;
  private _received = new Signal<this, readonly IReceivedLogEvent[]>(this);
  private _stateChanged = new Signal<this, ConnectionState>(this);
}

type Outcome =
  | { kind: 'final' }
  | { kind: 'retry'; reason: string }
  | { kind: 'fatal'; state: ConnectionState };
