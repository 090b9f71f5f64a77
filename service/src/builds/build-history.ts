/**
 * The builds the service remembers, in memory only. Running and queued builds are always kept;
 * finished ones are kept under two bounds (count and log bytes): past them, first their log text
 * goes, then, past twice the count bound, the record itself.
 *
 * Fair per owner: what goes first is the oldest of the owner who holds the most (logs for the
 * count bound, bytes for the byte bound, records for the record bound), so one user's flood of
 * requests only ever evicts that user's own history while others hold less than they do.
 *
 * "Already built" answers (the image existed; nothing ran) cost no slot there: their one-line
 * records live in a small pool of their own, a few per owner, so asking the same question over
 * and over cannot push anyone's build logs out, not even the asker's.
 */
import type { BuildRecord } from './build-record.js';

export interface RetentionLimits {
  maxBuilds: number;
  maxBytes: number;
  /** Bytes of log one build may write (`logs.maxBuildBytes`); every added record gets this cap. */
  maxBuildBytes?: number;
  /** "Already built" answers kept per owner (default 20), and over all owners (default 1000). */
  maxAnswersPerOwner?: number;
  maxAnswers?: number;
}

/** One owner's finished builds, oldest first. */
interface Holdings {
  records: BuildRecord[];
  /** Those of `records` whose log is still kept, oldest first. */
  logs: BuildRecord[];
  bytes: number;
}

export class BuildHistory {
  private readonly builds = new Map<string, BuildRecord>();
  /** Finished builds per owner. */
  private readonly owners = new Map<string, Holdings>();
  private logsKept = 0;
  private recordsKept = 0;
  private bytesKept = 0;
  /** "Already built" answers per owner, oldest first. */
  private readonly answers = new Map<string, BuildRecord[]>();
  private answersKept = 0;

  constructor(private readonly limits: RetentionLimits) {}

  add(build: BuildRecord): void {
    if (this.limits.maxBuildBytes !== undefined) {
      build.limitLog(this.limits.maxBuildBytes);
    }
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

  /** Finished builds whose log is kept, and their bytes (tests, metrics). */
  get retained(): {
    logs: number;
    bytes: number;
    records: number;
    answers: number;
  } {
    return {
      logs: this.logsKept,
      bytes: this.bytesKept,
      records: this.recordsKept,
      answers: this.answersKept
    };
  }

  /** Call once when a build reaches a final phase. */
  markFinished(build: BuildRecord): void {
    if (build.alreadyBuilt) {
      this.keepAnswer(build);
      return;
    }
    let holdings = this.owners.get(build.owner);
    if (!holdings) {
      holdings = { records: [], logs: [], bytes: 0 };
      this.owners.set(build.owner, holdings);
    }
    holdings.records.push(build);
    this.recordsKept++;
    if (build.logAvailable) {
      holdings.logs.push(build);
      holdings.bytes += build.bytes;
      this.logsKept++;
      this.bytesKept += build.bytes;
    }
    this.enforce();
  }

  private enforce(): void {
    while (this.logsKept > this.limits.maxBuilds) {
      this.dropLog(this.largest(holdings => holdings.logs.length));
    }
    while (this.bytesKept > this.limits.maxBytes) {
      this.dropLog(this.largest(holdings => holdings.bytes));
    }
    while (this.recordsKept > this.limits.maxBuilds * 2) {
      const holdings = this.largest(h => h.records.length);
      const oldest = holdings.records.shift()!;
      this.recordsKept--;
      if (holdings.logs[0] === oldest) {
        this.dropLog(holdings);
      }
      this.builds.delete(oldest.id);
      this.forgetIfEmpty(oldest.owner, holdings);
    }
  }

  /** The owner holding the most by `measure`; ties go to the one whose oldest is oldest. */
  private largest(measure: (holdings: Holdings) => number): Holdings {
    let best: Holdings | null = null;
    for (const holdings of this.owners.values()) {
      const size = measure(holdings);
      if (size === 0) {
        continue;
      }
      if (
        best === null ||
        size > measure(best) ||
        (size === measure(best) &&
          (holdings.records[0]?.finishedAt?.getTime() ?? 0) <
            (best.records[0]?.finishedAt?.getTime() ?? 0))
      ) {
        best = holdings;
      }
    }
    return best!;
  }

  private dropLog(holdings: Holdings): void {
    const oldest = holdings.logs.shift()!;
    holdings.bytes -= oldest.bytes;
    this.logsKept--;
    this.bytesKept -= oldest.bytes;
    oldest.dropLog();
  }

  private forgetIfEmpty(owner: string, holdings: Holdings): void {
    if (holdings.records.length === 0) {
      this.owners.delete(owner);
    }
  }

  /** Keep an "already built" answer: a few per owner, a bounded number in all, fairly. */
  private keepAnswer(build: BuildRecord): void {
    const perOwner = this.limits.maxAnswersPerOwner ?? 20;
    const total = this.limits.maxAnswers ?? 1000;
    let mine = this.answers.get(build.owner);
    if (!mine) {
      mine = [];
      this.answers.set(build.owner, mine);
    }
    mine.push(build);
    this.answersKept++;
    while (mine.length > perOwner) {
      this.forgetAnswer(build.owner, mine);
    }
    while (this.answersKept > total) {
      let [owner, most] = [build.owner, mine];
      for (const [name, list] of this.answers) {
        if (list.length > most.length) {
          [owner, most] = [name, list];
        }
      }
      this.forgetAnswer(owner, most);
    }
  }

  private forgetAnswer(owner: string, list: BuildRecord[]): void {
    const oldest = list.shift()!;
    this.answersKept--;
    this.builds.delete(oldest.id);
    if (list.length === 0) {
      this.answers.delete(owner);
    }
  }
}
