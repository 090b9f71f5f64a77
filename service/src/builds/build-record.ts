/**
 * One build: what was asked, where it is, and its whole log as numbered events. Consumers (the
 * SSE route, metrics) read the log by sequence number and are woken when it grows, so a slow
 * client costs a cursor, not a copy of the log.
 */
import {
  FINAL_PHASES as FINAL,
  type Build,
  type BuildLogEvent,
  type BuildPhase,
  type BuildProgress,
  type FolderSource
} from '../api/contract.js';
import { BuildFailure } from '../backends/backend.js';

/** The contract's final phases, as a set for the checks on every append. */
export const FINAL_PHASES: ReadonlySet<BuildPhase> = new Set(FINAL);

/** Bytes as people read them: `64 MiB`, `512 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10]
  ] as const) {
    if (bytes >= size) {
      return `${Number((bytes / size).toFixed(1))} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/**
 * Why a build was stopped when its log grew past `logs.maxBuildBytes`. A BuildFailure, so the
 * manager fails the build with this message and cleans up as after any failed build.
 */
export class LogTooLarge extends BuildFailure {
  constructor(maxBytes: number) {
    super(
      `the build's log passed ${formatBytes(maxBytes)}; the build was stopped`
    );
    this.name = 'LogTooLarge';
  }
}

export interface BuildSpec {
  id: string;
  owner: string;
  shared: boolean;
  repo: string;
  ref: string;
  commit: string;
  subdir: string | null;
  name: string;
  displayName: string;
  image: string;
  push: boolean;
  /** Built with credentials (which are never here: the manager keeps them beside the record). */
  private: boolean;
  /** Sorted by name; `{}` when none. */
  buildArgs: Record<string, string>;
  /** Built from an uploaded folder (repo, ref and commit are then `""`). */
  folder?: FolderSource | null;
}

export class BuildRecord {
  readonly spec: BuildSpec;
  phase: BuildPhase = 'queued';
  progress: BuildProgress | null = null;
  error: string | null = null;
  alreadyBuilt = false;
  readonly createdAt = new Date();
  startedAt: Date | null = null;
  finishedAt: Date | null = null;
  /** Cancels the running build (user cancel, timeout, shutdown). */
  readonly abort = new AbortController();

  private events: BuildLogEvent[] = [];
  private logBytes = 0;
  private logDropped = false;
  /** Bytes of log this build may write (`logs.maxBuildBytes`); set by the registry on add. */
  private maxLogBytes = Infinity;
  private logFull = false;
  private readonly listeners = new Set<() => void>();

  constructor(spec: BuildSpec) {
    this.spec = spec;
  }

  get id(): string {
    return this.spec.id;
  }

  get owner(): string {
    return this.spec.owner;
  }

  get isFinal(): boolean {
    return FINAL_PHASES.has(this.phase);
  }

  get lastSeq(): number {
    return this.events.length;
  }

  get bytes(): number {
    return this.logBytes;
  }

  get logAvailable(): boolean {
    return !this.logDropped;
  }

  /**
   * Cap the bytes of log this build may write. Past the cap the build's `abort` fires with
   * `LogTooLarge` (the manager stops the build and fails it with that message) and further lines
   * are not kept; the final event still is, so readers learn why the build ended.
   */
  limitLog(maxBytes: number): void {
    this.maxLogBytes = maxBytes;
  }

  /** Append a log event; a phase change and progress are recorded on the build too. */
  append(
    phase: BuildPhase,
    message: string,
    progress: BuildProgress | null = null,
    receivedAt = new Date()
  ): BuildLogEvent {
    if (this.isFinal) {
      throw new Error(`build ${this.id} is already ${this.phase}`);
    }
    const bytes = Buffer.byteLength(message, 'utf8');
    const closing = FINAL_PHASES.has(phase);
    if (
      !closing &&
      (this.logFull || this.logBytes + bytes > this.maxLogBytes)
    ) {
      if (!this.logFull) {
        this.logFull = true;
        this.abort.abort(new LogTooLarge(this.maxLogBytes));
      }
      // Not kept: the log stops at the cap. The caller gets the event it would have been.
      return {
        seq: this.events.length,
        phase: this.phase,
        message,
        time: receivedAt.toISOString()
      };
    }
    this.phase = phase;
    if (progress) {
      this.progress = progress;
    }
    const event: BuildLogEvent = {
      seq: this.events.length + 1,
      phase,
      message,
      time: receivedAt.toISOString(),
      ...(progress ? { progress } : {})
    };
    this.events.push(event);
    this.logBytes += bytes;
    this.notify();
    return event;
  }

  /** Record the final phase with a closing log event, and wake every reader one last time. */
  finish(
    phase: 'built' | 'failed' | 'cancelled',
    message: string,
    error: string | null = null
  ): void {
    if (this.isFinal) {
      throw new Error(`build ${this.id} is already ${this.phase}`);
    }
    this.error = error;
    this.finishedAt = new Date();
    this.append(phase, message);
  }

  /** Up to `max` events after sequence number `seq`. */
  eventsAfter(seq: number, max: number): BuildLogEvent[] {
    return this.events.slice(Math.max(0, seq), Math.max(0, seq) + max);
  }

  /** Be called whenever the log grows or the build ends. Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Forget the log text to free memory (retention); the build's summary stays answerable. */
  dropLog(): void {
    this.events = [];
    this.logBytes = 0;
    this.logDropped = true;
  }

  /** The API's view; not named toJSON, since JSON.stringify would pass it a key. */
  toApi(queuePosition: number | null = null): Build {
    const { spec } = this;
    return {
      id: spec.id,
      owner: spec.owner,
      shared: spec.shared,
      repo: spec.repo,
      ref: spec.ref,
      commit: spec.commit,
      subdir: spec.subdir,
      name: spec.name,
      displayName: spec.displayName,
      image: spec.image,
      push: spec.push,
      phase: this.phase,
      progress: this.progress,
      error: this.error,
      alreadyBuilt: this.alreadyBuilt,
      queuePosition,
      createdAt: this.createdAt.toISOString(),
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      logAvailable: this.logAvailable,
      private: spec.private,
      buildArgs: { ...spec.buildArgs },
      folder: spec.folder ? { ...spec.folder } : null
    };
  }

  private notify(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
