/**
 * Which builds may run now: first come, first served, under a global limit and a per-user limit.
 * A queued build whose owner is at their limit does not hold up other users' builds behind it.
 */
export interface Queued {
  readonly owner: string;
}

export interface QueueLimits {
  global: number;
  perUser: number;
}

export class BuildQueue<T extends Queued> {
  private readonly waiting: T[] = [];
  private readonly runningByOwner = new Map<string, number>();
  private running = 0;

  constructor(
    private readonly limits: QueueLimits,
    private readonly start: (item: T) => void
  ) {}

  get waitingCount(): number {
    return this.waiting.length;
  }

  get runningCount(): number {
    return this.running;
  }

  enqueue(item: T): void {
    this.waiting.push(item);
    this.pump();
  }

  /** Take a build out of the queue before it started; `false` if it was not waiting. */
  remove(item: T): boolean {
    const index = this.waiting.indexOf(item);
    if (index < 0) {
      return false;
    }
    this.waiting.splice(index, 1);
    return true;
  }

  /** A started build ended (whatever the outcome): its slot goes to the next that fits. */
  finished(item: T): void {
    const count = this.runningByOwner.get(item.owner) ?? 0;
    if (count <= 1) {
      this.runningByOwner.delete(item.owner);
    } else {
      this.runningByOwner.set(item.owner, count - 1);
    }
    this.running--;
    this.pump();
  }

  /** 1-based place among waiting builds, or `null` if not waiting. */
  position(item: T): number | null {
    const index = this.waiting.indexOf(item);
    return index < 0 ? null : index + 1;
  }

  private pump(): void {
    for (
      let i = 0;
      i < this.waiting.length && this.running < this.limits.global;
    ) {
      const item = this.waiting[i];
      const owned = this.runningByOwner.get(item.owner) ?? 0;
      if (owned >= this.limits.perUser) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.runningByOwner.set(item.owner, owned + 1);
      this.running++;
      this.start(item);
    }
  }
}
