/**
 * The hub's spawn progress stream (`GET /hub/api/users/{user}/servers/{name}/progress`), read
 * with `fetch` because `EventSource` cannot send the `Authorization` header the page's token
 * travels in. The hub sends `data: {"progress", "message", "ready"?, "failed"?, "url"?}` events
 * and blank keep-alive lines, and closes the stream after the `ready` or `failed` event.
 */

import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** The stream ended without a `ready` or `failed` event (the hub restarted, a proxy cut it). */
export class SpawnStreamEnded extends Error {
  constructor() {
    super('The progress stream ended before the server was ready.');
    this.name = 'SpawnStreamEnded';
  }
}

/** One event of the progress stream, as the hub sends it. */
export interface ISpawnEvent {
  /** 0-100, when the spawner says. */
  progress: number | null;
  /** Plain-text message (the hub also sends `html_message`, which the panel does not render). */
  message: string;
  ready: boolean;
  failed: boolean;
  /** The server's URL (path, or absolute with subdomains), on the `ready` event. */
  url: string | null;
}

/** Read one `data:` payload; `null` for anything that is not a JSON object. */
export function parseSpawnEvent(data: string): ISpawnEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return null;
  }
  const event = value as Record<string, unknown>;
  const progress =
    typeof event.progress === 'number' && Number.isFinite(event.progress)
      ? Math.min(100, Math.max(0, event.progress))
      : null;
  return {
    progress,
    message: typeof event.message === 'string' ? event.message : '',
    ready: event.ready === true,
    failed: event.failed === true,
    url: typeof event.url === 'string' && event.url ? event.url : null
  };
}

/**
 * Read a progress stream to its final event (`ready` or `failed`), calling `onEvent` for each
 * event. Resolves with the final event; rejects when the stream ends without one (the hub went
 * away) or is aborted through `signal`.
 */
export async function readSpawnProgress(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ISpawnEvent) => void,
  signal?: AbortSignal
): Promise<ISpawnEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let final: ISpawnEvent | null = null;
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      if (final) {
        return;
      }
      const event = parseSpawnEvent(message.data);
      if (!event) {
        return;
      }
      onEvent(event);
      if (event.ready || event.failed) {
        final = event;
      }
    }
  });
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort);
  try {
    while (!final) {
      if (signal?.aborted) {
        throw (
          signal.reason ??
          new DOMException('The stream was aborted.', 'AbortError')
        );
      }
      const { done, value } = await reader.read();
      if (done) {
        parser.feed(decoder.decode());
        // A last event without its blank line still counts.
        parser.feed('\n\n');
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (final) {
      // The hub closes the stream itself after the final event; do not wait for it.
      void reader.cancel().catch(() => undefined);
    }
  }
  if (!final) {
    if (signal?.aborted) {
      throw (
        signal.reason ??
        new DOMException('The stream was aborted.', 'AbortError')
      );
    }
    throw new SpawnStreamEnded();
  }
  return final;
}
