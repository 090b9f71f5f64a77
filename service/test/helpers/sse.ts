/** Reads a build's log stream as a client would: fetch + eventsource-parser. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { BuildLogEvent } from '../../src/api/contract.js';

export interface ReadOptions {
  lastEventId?: number;
  /** Abort the connection after this many events (to test resuming). */
  stopAfter?: number;
  /** Record comment lines (heartbeats). */
  onComment?: (comment: string) => void;
  /** Called with each event as it arrives. */
  onEvent?: (event: BuildLogEvent, id: string) => void;
}

export interface ReadResult {
  events: BuildLogEvent[];
  ids: string[];
  status: number;
  contentType: string | null;
  contentEncoding: string | null;
  /** The server closed the stream (rather than us aborting). */
  ended: boolean;
}

export async function readLog(
  baseUrl: string,
  headers: Record<string, string>,
  buildId: string,
  options: ReadOptions = {}
): Promise<ReadResult> {
  const controller = new AbortController();
  const requestHeaders: Record<string, string> = {
    ...headers,
    accept: 'text/event-stream'
  };
  if (options.lastEventId !== undefined) {
    requestHeaders['last-event-id'] = String(options.lastEventId);
  }
  const response = await fetch(`${baseUrl}/api/builds/${buildId}/logs`, {
    headers: requestHeaders,
    signal: controller.signal
  });
  const result: ReadResult = {
    events: [],
    ids: [],
    status: response.status,
    contentType: response.headers.get('content-type'),
    contentEncoding: response.headers.get('content-encoding'),
    ended: false
  };
  if (!response.ok || !response.body) {
    return result;
  }
  let stopped = false;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      if (stopped) {
        return;
      }
      const event = JSON.parse(message.data) as BuildLogEvent;
      result.events.push(event);
      result.ids.push(message.id ?? '');
      options.onEvent?.(event, message.id ?? '');
      if (
        options.stopAfter !== undefined &&
        result.events.length >= options.stopAfter
      ) {
        stopped = true;
        controller.abort();
      }
    },
    onComment: options.onComment
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (stopped) {
        break;
      }
    }
    result.ended = !stopped;
  } catch (error) {
    if (!stopped) {
      throw error;
    }
  }
  return result;
}
