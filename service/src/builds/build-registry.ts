/**
 * The builds the service remembers, in memory only. Running and queued builds are always kept;
 * finished ones are kept under two bounds (count and log bytes) and the oldest go first: first
 * their log text, then, past twice the count bound, the record itself.
 */
import type { BuildRecord } from './build-record.js';

export interface RetentionLimits {
  maxBuilds: number;
  maxBytes: number;
}

export class BuildRegistry {
  private readonly builds = new Map<string, BuildRecord>();
  /** Finished builds, oldest first. */
  private readonly finished: BuildRecord[] = [];
  private finishedBytes = 0;

  constructor(private readonly limits: RetentionLimits) {}

  add(build: BuildRecord): void {
    this.builds.set(build.id, build);
  }

  get(id: string): BuildRecord | undefined {
    return this.builds.get(id);
  }

  all(): BuildRecord[] {
    return [...this.builds.values()];
  }

  /** Active (queued or running) builds. */
  active(): BuildRecord[] {
    return this.all().filter(build => !build.isFinal);
  }

  /** Call once when a build reaches a final phase. */
  markFinished(build: BuildRecord): void {
    this.finished.push(build);
    this.finishedBytes += build.bytes;
    this.enforce();
  }

  private enforce(): void {
    let logsKept = this.finished.filter(build => build.logAvailable).length;
    for (const build of this.finished) {
      if (logsKept <= this.limits.maxBuilds && this.finishedBytes <= this.limits.maxBytes) {
        break;
      }
      if (build.logAvailable) {
        this.finishedBytes -= build.bytes;
        build.dropLog();
        logsKept--;
      }
    }
    while (this.finished.length > this.limits.maxBuilds * 2) {
      const oldest = this.finished.shift()!;
      this.builds.delete(oldest.id);
    }
  }
}
