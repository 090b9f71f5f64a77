/**
 * The local backend's push: a built image to the registry through the Docker engine (`POST /images/{name}/push`,
 * credentials in `X-Registry-Auth`), with the engine's JSON progress stream turned into the
 * build's `pushing` log lines and progress, and its errors into plain words without secrets.
 */
import type { BuildProgress } from '../api/contract.js';
import { BuildFailure } from './backend.js';
import type { DockerEngine, PushEvent } from '../docker/engine.js';
import {
  REGISTRY_PASSWORD_ENV,
  REGISTRY_USERNAME_ENV,
  redactCredentials,
  type RegistryCredentials
} from '../registry/credentials.js';

/** A push that failed; its message is for users. */
export class PushFailure extends BuildFailure {
  constructor(message: string) {
    super(message);
    this.name = 'PushFailure';
  }
}

export interface PushLine {
  message: string;
  progress: BuildProgress | null;
}

function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

const DONE = new Set(['Pushed', 'Layer already exists']);

/**
 * Turns the engine's push events into log lines. Progress counts layers: `current` layers done
 * of `total` seen. Byte progress of a layer is reported at each quarter, not on every chunk.
 */
export class PushProgress {
  private readonly layers = new Map<
    string,
    { done: boolean; quarter: number }
  >();
  /** The digest the registry gave the pushed manifest, once it has. */
  digest: string | null = null;
  /** The engine's error message, if the push failed. */
  error: string | null = null;

  handle(event: PushEvent): PushLine | null {
    if (event.error || event.errorDetail?.message) {
      this.error = event.errorDetail?.message || event.error || 'unknown error';
      return null;
    }
    if (event.aux && typeof event.aux.Digest === 'string') {
      this.digest = event.aux.Digest;
      return null;
    }
    const status = event.status ?? '';
    if (!status) {
      return null;
    }
    if (!event.id) {
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(status);
      if (digest) {
        this.digest = digest[1];
      }
      return { message: status, progress: this.progress() };
    }
    const layer = this.layers.get(event.id) ?? { done: false, quarter: -1 };
    this.layers.set(event.id, layer);
    if (status === 'Pushing') {
      const current = event.progressDetail?.current ?? 0;
      const total = event.progressDetail?.total ?? 0;
      // The engine's totals are wrong for tiny layers (current > total): clamp.
      const quarter =
        total > 0
          ? Math.min(4, Math.floor((Math.min(current, total) / total) * 4))
          : 0;
      if (quarter <= layer.quarter) {
        return null;
      }
      layer.quarter = quarter;
      const amount =
        total > 0 && current <= total
          ? `${bytes(current)} / ${bytes(total)}`
          : bytes(current);
      return {
        message: `${event.id}: Pushing ${amount}`,
        progress: this.progress()
      };
    }
    if (DONE.has(status) || status.startsWith('Mounted from')) {
      layer.done = true;
    }
    return { message: `${event.id}: ${status}`, progress: this.progress() };
  }

  progress(): BuildProgress | null {
    if (this.layers.size === 0) {
      return null;
    }
    let done = 0;
    for (const layer of this.layers.values()) {
      if (layer.done) done++;
    }
    return { current: done, total: this.layers.size };
  }
}

/** The engine's push error, in plain words for the person who asked for the build. */
export function describePushError(
  raw: string,
  host: string,
  hasCredentials: boolean
): string {
  const message = raw.trim().replace(/\s+/g, ' ');
  if (
    /no basic auth credentials/i.test(message) ||
    (!hasCredentials &&
      /unauthori[sz]ed|authentication required/i.test(message))
  ) {
    return (
      `the registry ${host} requires credentials, and none are configured ` +
      `(the service's admin sets ${REGISTRY_USERNAME_ENV} and ${REGISTRY_PASSWORD_ENV}, or registry.credentialsFile)`
    );
  }
  if (
    /unauthori[sz]ed|authentication required|incorrect username or password|invalid username|denied/i.test(
      message
    )
  ) {
    return `the registry ${host} refused the service's credentials (it said: ${message})`;
  }
  if (/server gave HTTP response to HTTPS client/i.test(message)) {
    return `the registry ${host} speaks plain HTTP but the Docker engine expects HTTPS; add it to the engine's insecure-registries (it said: ${message})`;
  }
  if (
    /connection refused|no such host|i\/o timeout|EOF|connection reset|broken pipe|dial tcp|server misbehaving|timeout|unreachable/i.test(
      message
    )
  ) {
    return `the registry ${host} could not be reached or stopped answering (${message})`;
  }
  return `the registry ${host} said: ${message}`;
}

export interface PushTarget {
  /** The registry URL, as /api/info shows it. */
  readonly url: string;
  /** `host[:port]` that image names begin with. */
  readonly host: string;
  readonly pushByDefault: boolean;
  /**
   * Push `reference` (already named for the registry). Each progress line goes to `report`.
   * Rejects with `PushFailure` (plain words, no secret), or with the signal's reason.
   */
  push(
    reference: string,
    report: (line: PushLine) => void,
    signal: AbortSignal
  ): Promise<{ digest: string | null }>;
}

const RETRYING = /^Retrying in \d+ seconds?/;
const PROBE_INTERVAL_MS = 3000;

export class RegistryPusher implements PushTarget {
  /**
   * @param probe asks the registry whether it answers (`null`) or why not. The engine retries a
   * failed layer upload for about 50 s (5, 10, 15, 20 s apart); when it says it is retrying and
   * the registry does not answer the service either, the push is stopped at once instead.
   */
  constructor(
    private readonly engine: DockerEngine,
    readonly url: string,
    readonly host: string,
    readonly pushByDefault: boolean,
    private readonly credentials: RegistryCredentials | null,
    private readonly probe: (() => Promise<string | null>) | null = null
  ) {}

  async push(
    reference: string,
    report: (line: PushLine) => void,
    signal: AbortSignal
  ): Promise<{ digest: string | null }> {
    const progress = new PushProgress();
    const auth = this.credentials
      ? {
          username: this.credentials.username,
          password: this.credentials.password,
          serveraddress: this.host
        }
      : // The engine wants an X-Registry-Auth header even when there are no credentials.
        { serveraddress: this.host };
    const scrub = (text: string): string =>
      redactCredentials(text, this.credentials);
    let probedAt = 0;
    try {
      for await (const event of this.engine.push(reference, auth, signal)) {
        const line = progress.handle(event);
        if (line) {
          report({ message: scrub(line.message), progress: line.progress });
        }
        if (progress.error) {
          break;
        }
        if (
          this.probe &&
          RETRYING.test(event.status ?? '') &&
          Date.now() - probedAt > PROBE_INTERVAL_MS
        ) {
          probedAt = Date.now();
          const problem = await this.probe();
          if (problem) {
            // Leaving the loop ends the request; the engine then gives up the push.
            throw new PushFailure(
              scrub(
                `the registry ${this.host} could not be reached or stopped answering ` +
                  `(${problem.replace(`the registry ${this.host} `, '')}); the push was stopped`
              )
            );
          }
        }
      }
    } catch (error) {
      signal.throwIfAborted();
      if (
        error instanceof PushFailure ||
        (error instanceof Error && 'status' in error)
      ) {
        throw error; // the engine unreachable: ApiError 503
      }
      throw new PushFailure(
        scrub(
          describePushError(
            (error as Error).message,
            this.host,
            this.credentials !== null
          )
        )
      );
    }
    signal.throwIfAborted();
    if (progress.error) {
      throw new PushFailure(
        scrub(
          describePushError(
            progress.error,
            this.host,
            this.credentials !== null
          )
        )
      );
    }
    if (!progress.digest) {
      throw new PushFailure(
        `the push to ${this.host} ended without the registry confirming it`
      );
    }
    return { digest: progress.digest };
  }
}
