/**
 * Lines that arrive together become one log event. repo2docker's output comes in pipe reads of
 * many lines; one event per line made every client parse a JSON object per line (a million-line
 * log took seconds in the browser just to parse). Consecutive lines of the same phase, without
 * progress, are joined with "\n" and appended `windowMs` after the batch's first line (or at
 * `maxLines`); a line with progress (a BuildKit step header) or a new phase closes the batch.
 * repo2docker writes line by line (each its own pipe read), so batching within one turn of the
 * event loop is not enough; the window costs at most `windowMs` of latency.
 * Events stay immutable once appended, so resuming by sequence number is unaffected.
 */
import type { BuildPhase, BuildProgress } from '../api/contract.js';

/** `receivedAt`: when the first of the lines arrived (the event's time). */
export type AppendLog = (
  phase: BuildPhase,
  message: string,
  progress: BuildProgress | null,
  receivedAt: Date
) => void;

export class LineBatcher {
  private pending: string[] = [];
  private firstAt = new Date(0);
  private phase: BuildPhase | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly append: AppendLog,
    private readonly maxLines = 1000,
    private readonly windowMs = 5
  ) {}

  line(
    phase: BuildPhase,
    message: string,
    progress: BuildProgress | null
  ): void {
    if (progress || (this.phase !== null && phase !== this.phase)) {
      this.flush();
    }
    if (progress) {
      this.append(phase, message, progress, new Date());
      return;
    }
    if (this.pending.length === 0) {
      this.firstAt = new Date();
    }
    this.phase = phase;
    this.pending.push(message);
    if (this.pending.length >= this.maxLines) {
      this.flush();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
    }
  }

  /** Append what is pending now (call before the build's final event). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0 || this.phase === null) {
      return;
    }
    const message = this.pending.join('\n');
    const phase = this.phase;
    this.pending = [];
    this.phase = null;
    this.append(phase, message, null, this.firstAt);
  }
}
