/**
 * A build backend runs one build somewhere (repo2docker on a Docker engine here; a BinderHub
 * build API later) and reports what happens as log lines. Chosen by configuration behind this
 * one interface, as configurable-http-proxy chooses its store.
 */
import type { BuildPhase, BuildProgress } from '../api/contract.js';

export interface BuildJob {
  buildId: string;
  repo: string;
  /** The resolved commit; the backend builds exactly this. */
  commit: string;
  subdir: string | null;
  /** Full image reference to produce, `repository:tag`. */
  image: string;
  labels: Record<string, string>;
  push: boolean;
}

export interface BuildSink {
  /** A line of output; `phase` when the tool says which phase it is in. */
  line(phase: BuildPhase | null, message: string, progress: BuildProgress | null): void;
}

/** A build that ended badly; `message` is for users (no traceback, no secret). */
export class BuildFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailure';
  }
}

export interface BuildBackend {
  readonly kind: 'local' | 'binderhub';
  /**
   * Run the build. Resolves when the image exists; rejects with `BuildFailure` when it failed,
   * and with the signal's reason once `signal` aborts and the build has stopped.
   */
  run(job: BuildJob, sink: BuildSink, signal: AbortSignal): Promise<void>;
}
