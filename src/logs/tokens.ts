/**
 * Interfaces of the build-log viewer that other parts of the extension code against.
 */

import type { ITranslator } from '@jupyterlab/translation';

/** The one place the log viewer talks to the service. */
export interface ILogStreamSource {
  /**
   * Fetch GET {service}/api/builds/{buildId}/logs with `Accept: text/event-stream` (exactly that)
   * and, when lastEventId is not null, `Last-Event-ID`. Resolves with the Response whatever its
   * status; rejects on network failure or abort.
   */
  openLogStream(
    buildId: string,
    lastEventId: number | null,
    signal: AbortSignal
  ): Promise<Response>;
}

export interface IBuildLogWidgetOptions {
  buildId: string;
  /** Shown as the tab title until the first event says more; e.g. the image name. */
  label?: string;
  source: ILogStreamSource;
  /** Defaults to `nullTranslator`. */
  translator?: ITranslator;
}

/** Where the connection to the log stream stands. */
export type ConnectionState =
  /** Opening the stream (`attempt` 0 is the first try). */
  | { readonly status: 'connecting'; readonly attempt: number }
  /** Receiving events. */
  | { readonly status: 'live' }
  /** The connection dropped; the next try is at `retryAt` (epoch ms). `reason` is plain words. */
  | {
      readonly status: 'reconnecting';
      readonly attempt: number;
      readonly retryAt: number;
      readonly reason: string;
    }
  /** The build reached a final phase and the stream closed: the log is complete. */
  | { readonly status: 'ended' }
  /** Gave up: `message` says why in plain words (e.g. reload JupyterLab after a 401). */
  | {
      readonly status: 'error';
      readonly message: string;
      /** HTTP status, when the service answered. */
      readonly httpStatus?: number;
      /** The service's error code, when it sent one. */
      readonly code?: string;
    }
  /** Not started yet, or stopped by the client (widget closed). */
  | { readonly status: 'idle' };
