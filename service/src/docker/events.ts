/**
 * Follows the Docker engine's image events (tag, untag, delete, load, pull…), so that whatever
 * changes the engine's images (our builds, an admin's `docker rmi`) reaches the image catalog at
 * once. Reconnects after the stream ends; says whether it is connected, so the catalog can trust
 * its cache longer while it is.
 */
import type Docker from 'dockerode';

export interface EngineEventsWatch {
  readonly connected: boolean;
  stop(): void;
}

export function watchImageEvents(
  docker: Docker,
  onChange: () => void,
  log: {
    warn(obj: object, msg?: string): void;
    info?(obj: object, msg?: string): void;
  },
  retryMs = 2000,
  /** Called each time the subscription (re)connects: the engine is (back) up. */
  onConnected: () => void = () => undefined
): EngineEventsWatch {
  let connected = false;
  let stopped = false;
  let current: NodeJS.ReadableStream | null = null;
  let retry: NodeJS.Timeout | null = null;
  let lostAt: number | null = null;

  const connect = (): void => {
    if (stopped) {
      return;
    }
    docker.getEvents({ filters: { type: ['image'] } }).then(
      stream => {
        if (stopped) {
          (stream as unknown as { destroy(): void }).destroy();
          return;
        }
        current = stream;
        const wasLost = lostAt !== null;
        connected = true;
        lostAt = null;
        if (wasLost) {
          log.info?.({}, 'following Docker image events again');
        }
        onChange(); // anything may have changed while we were not listening
        onConnected();
        stream.on('data', () => onChange());
        const lost = (): void => {
          if (current !== stream) {
            return;
          }
          connected = false;
          current = null;
          lostAt = Date.now();
          log.warn({}, 'lost the Docker engine event stream; reconnecting');
          onChange();
          retry = setTimeout(connect, retryMs);
          retry.unref();
        };
        stream.on('end', lost);
        stream.on('error', lost);
        stream.on('close', lost);
      },
      (error: Error) => {
        connected = false;
        if (lostAt === null) {
          lostAt = Date.now(); // said once per outage, not on every retry
          log.warn(
            { err: error.message },
            'cannot follow Docker image events; retrying'
          );
        }
        retry = setTimeout(connect, retryMs);
        retry.unref();
      }
    );
  };
  connect();
  return {
    get connected() {
      return connected;
    },
    stop() {
      stopped = true;
      if (retry) {
        clearTimeout(retry);
      }
      (current as unknown as { destroy?(): void } | null)?.destroy?.();
      current = null;
    }
  };
}
