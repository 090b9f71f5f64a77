/**
 * One build: what was asked, where it is, and its whole log as numbered events. Consumers (the
 * SSE route, metrics) read the log by sequence number and are woken when it grows, so a slow
 * client costs a cursor, not a copy of the log.
 */
import type { Build, BuildLogEvent, BuildPhase, BuildProgress } from '../api/contract.js';

export const FINAL_PHASES: ReadonlySet<BuildPhase> = new Set(['built', 'failed', 'cancelled']);

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

  /** Append a log event; a phase change and progress are recorded on the build too. */
  append(phase: BuildPhase, message: string, progress: BuildProgress | null = null, receivedAt = new Date()): BuildLogEvent {
    if (this.isFinal) {
      throw new Error(`build ${this.id} is already ${this.phase}`);
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
    this.logBytes += Buffer.byteLength(message, 'utf8');
    this.notify();
    return event;
  }

  /** Record the final phase with a closing log event, and wake every reader one last time. */
  finish(phase: 'built' | 'failed' | 'cancelled', message: string, error: string | null = null): void {
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
      logAvailable: this.logAvailable
    };
  }

  private notify(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
