/**
 * Asks a BinderHub to build: one `GET {url}/build/{provider}/{spec}?build_only=true` event
 * stream per build, read to its end and turned into updates (binderhub-stream.ts).
 *
 * Exactly ONE upstream stream per build, never a retry: BinderHub has no build ids and no event
 * ids, so a second request for the same spec starts a second build from scratch, and dropping
 * the stream stops the build. Every client of ours (and every reconnect) is served from our own
 * log, not from BinderHub.
 *
 * Cancel is aborting the request: that is BinderHub's only cancel. BinderHub notices only when
 * it next writes to the stream (a log line, or its keepalive every 25 s, so up to 25 s for a
 * quiet build); it then kills repo2docker, but not the `docker buildx build` repo2docker had
 * started, which runs on to its end (measured: service/test/integration/binderhub-client.test.ts).
 *
 * The token (for a BinderHub behind JupyterHub with auth) goes in the Authorization header only:
 * never in a URL, an error message or a log line.
 */
import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  BinderHubStreamParser,
  type BinderHubUpdate
} from './binderhub-stream.js';

export interface BinderHubClientOptions {
  /** BinderHub's base URL, e.g. `http://127.0.0.1:8585` (a base_url path is kept). */
  url: string;
  /** Sent as `Authorization: token …` when set. */
  token?: string | null;
  /** BinderHub's repo provider prefix; only the git provider takes any URL. Default "git". */
  provider?: string;
  /** How long BinderHub may take to answer the request's headers. Default 30 s. */
  answerTimeoutMs?: number;
  /**
   * How long the stream may stay silent. BinderHub writes a keepalive every 25 s, so a longer
   * silence is a lost connection or a stuck BinderHub. Default 90 s.
   */
  idleTimeoutMs?: number;
}

export interface BinderHubBuildRequest {
  /** The repository URL as BinderHub's git provider clones it. */
  repo: string;
  /** Branch, tag or commit (a full commit skips BinderHub's `git ls-remote`). */
  ref: string;
}

/** The transport failed: BinderHub did not answer, answered something else, or went silent. */
export class BinderHubError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BinderHubError';
  }
}

/**
 * BinderHub's git provider spec: the URL-encoded repository (its `/` too: the provider splits
 * the spec at the first `/`), a `/`, and the URL-encoded ref.
 */
export function gitSpec(repo: string, ref: string): string {
  return `${encodeURIComponent(repo)}/${encodeURIComponent(ref)}`;
}

/** The build URL for a request; exported for tests. */
export function buildUrl(
  base: string,
  provider: string,
  request: BinderHubBuildRequest
): string {
  const root = base.replace(/\/+$/, '');
  return `${root}/build/${encodeURIComponent(provider)}/${gitSpec(request.repo, request.ref)}?build_only=true`;
}

/** The base URL as error messages show it: no user, password, query or fragment. */
export function displayUrl(base: string): string {
  try {
    const url = new URL(base);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'the configured BinderHub URL';
  }
}

function causeOf(error: unknown): string {
  const fields = error as {
    code?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
  } | null;
  if (typeof fields?.code === 'string') {
    return fields.code;
  }
  if (typeof fields?.cause?.code === 'string') {
    return fields.cause.code;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * One GET on a connection of its own (`agent: false`): a build's stream never shares or waits
 * for a pooled socket, and destroying the request closes exactly that connection.
 */
function open(
  url: string,
  headers: OutgoingHttpHeaders
): { request: ClientRequest; response: Promise<IncomingMessage> } {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new BinderHubError(
      `the BinderHub URL is not a URL: ${displayUrl(url)}`
    );
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new BinderHubError(
      `the BinderHub URL must be http:// or https://, not ${protocol}//`
    );
  }
  const send = protocol === 'https:' ? httpsRequest : httpRequest;
  let request!: ClientRequest;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request = send(url, { method: 'GET', headers, agent: false }, resolve);
    request.on('error', reject);
    request.end();
  });
  return { request, response };
}

export class BinderHubClient {
  private readonly provider: string;
  private readonly answerTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  /** BinderHub's URL as messages show it. */
  readonly where: string;

  constructor(private readonly options: BinderHubClientOptions) {
    this.provider = options.provider ?? 'git';
    this.answerTimeoutMs = options.answerTimeoutMs ?? 30_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 90_000;
    this.where = displayUrl(options.url);
  }

  private headers(accept: string): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { Accept: accept };
    if (this.options.token) {
      headers.Authorization = `token ${this.options.token}`;
    }
    return headers;
  }

  /**
   * Runs one build and yields what BinderHub says, ending with exactly one `ready` or `failed`
   * update (after which the stream is closed, by BinderHub or by us). Throws `BinderHubError`
   * when the transport fails, and `signal.reason` once `signal` aborts (the stream is closed at
   * once; see the header for what BinderHub still does). Breaking out of the loop closes it too.
   */
  async *build(
    request: BinderHubBuildRequest,
    signal: AbortSignal
  ): AsyncGenerator<BinderHubUpdate> {
    signal.throwIfAborted();
    const { request: upstream, response } = open(
      buildUrl(this.options.url, this.provider, request),
      {
        ...this.headers('text/event-stream'),
        'Cache-Control': 'no-cache'
      }
    );
    response.catch(() => undefined); // read below; an early abort must not leave it unhandled
    // Why the connection was closed on our side, when it was.
    let closedBy: unknown = null;
    const close = (why: unknown): void => {
      if (closedBy === null) {
        closedBy = why;
      }
      // With an error, so that a request still waiting for its answer rejects at once.
      upstream.destroy(new Error('closed by the client'));
    };
    const onAbort = (): void => close(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | null = null;
    const arm = (ms: number, why: string): void => {
      disarm();
      timer = setTimeout(() => close(new BinderHubError(why)), ms);
    };
    const disarm = (): void => {
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
    };
    const fail = (error: unknown, during: 'answer' | 'stream'): never => {
      if (closedBy !== null) {
        throw closedBy; // the signal's reason, or our timeout
      }
      if (error instanceof BinderHubError) {
        throw error;
      }
      if (during === 'stream') {
        throw new BinderHubError(
          `BinderHub at ${this.where} closed the build's stream before the build ended (${causeOf(error)})`
        );
      }
      throw new BinderHubError(
        `BinderHub at ${this.where} did not answer (${causeOf(error)})`
      );
    };

    let answer: IncomingMessage | null = null;
    try {
      arm(
        this.answerTimeoutMs,
        `BinderHub at ${this.where} did not answer within ${seconds(this.answerTimeoutMs)}`
      );
      try {
        answer = await response;
      } catch (error) {
        return fail(error, 'answer');
      }
      disarm();
      const status = answer.statusCode ?? 0;
      if (status !== 200) {
        throw new BinderHubError(statusMessage(this.where, status));
      }
      const type = answer.headers['content-type'] ?? '';
      if (!type.toLowerCase().startsWith('text/event-stream')) {
        throw new BinderHubError(
          `BinderHub at ${this.where} did not answer with an event stream (content type ${type || 'none'}): is that URL a BinderHub?`
        );
      }

      answer.setEncoding('utf8'); // decodes characters split across chunks
      const chunks = answer[Symbol.asyncIterator]() as AsyncIterator<string>;
      const parser = new BinderHubStreamParser();
      const idle = `BinderHub at ${this.where} sent nothing for ${seconds(this.idleTimeoutMs)} (it sends a keepalive every 25 s); the build's stream was closed`;
      for (;;) {
        let chunk: IteratorResult<string>;
        // Only BinderHub's silence counts, not the time our consumer takes between reads.
        arm(this.idleTimeoutMs, idle);
        try {
          chunk = await chunks.next();
        } catch (error) {
          return fail(error, 'stream');
        }
        disarm();
        if (closedBy !== null) {
          return fail(null, 'stream'); // aborted between two chunks that had arrived already
        }
        const updates = chunk.done ? parser.end() : parser.feed(chunk.value);
        for (const update of updates) {
          yield update;
          if (update.kind === 'ready' || update.kind === 'failed') {
            return; // finally closes the stream: after `failed` BinderHub never does
          }
        }
        if (chunk.done) {
          throw new BinderHubError(
            `BinderHub at ${this.where} closed the build's stream before the build ended`
          );
        }
      }
    } finally {
      disarm();
      signal.removeEventListener('abort', onAbort);
      // Closes the connection if it is still open (after `failed`, on cancel, on a consumer's
      // `break`); a no-op once BinderHub has closed it after `ready`. An unfinished answer then
      // reports "aborted": nobody listens any more.
      answer?.on('error', () => undefined);
      upstream.destroy();
    }
  }

  /** BinderHub's `/versions` (it answers without a JupyterHub, unlike `/health`). */
  async versions(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const { request, response } = open(
      `${this.options.url.replace(/\/+$/, '')}/versions`,
      this.headers('application/json')
    );
    const late = new BinderHubError(
      `BinderHub at ${this.where} did not answer within ${seconds(timeoutMs)}`
    );
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(late);
    }, timeoutMs);
    let answer: IncomingMessage | null = null;
    try {
      try {
        answer = await response;
      } catch (error) {
        throw timedOut
          ? late
          : new BinderHubError(
              `BinderHub at ${this.where} did not answer (${causeOf(error)})`
            );
      }
      if (answer.statusCode !== 200) {
        throw new BinderHubError(
          statusMessage(this.where, answer.statusCode ?? 0)
        );
      }
      let body = '';
      answer.setEncoding('utf8');
      try {
        for await (const chunk of answer) {
          body += chunk;
          if (body.length > 1_000_000) {
            throw new BinderHubError(
              `BinderHub at ${this.where} answered /versions with more than 1 MB`
            );
          }
        }
      } catch (error) {
        throw timedOut
          ? late
          : error instanceof BinderHubError
            ? error
            : new BinderHubError(
                `BinderHub at ${this.where} did not answer (${causeOf(error)})`
              );
      }
      try {
        return JSON.parse(body) as Record<string, unknown>;
      } catch {
        throw new BinderHubError(
          `BinderHub at ${this.where} answered /versions with something that is not JSON`
        );
      }
    } finally {
      clearTimeout(timer);
      answer?.on('error', () => undefined);
      request.destroy();
    }
  }
}
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function statusMessage(where: string, status: number): string {
  if (status === 401 || status === 403) {
    return `BinderHub at ${where} refused the service's token (HTTP ${status}): check backend.token`;
  }
  if (status === 404) {
    return `BinderHub at ${where} has no such build endpoint (HTTP 404): check backend.url and backend.provider`;
  }
  if (status === 429) {
    return `BinderHub at ${where} is rate limiting the service (HTTP 429)`;
  }
  return `BinderHub at ${where} answered HTTP ${status}`;
}
