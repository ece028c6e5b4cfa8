/**
 * The parts of the supervisor whose work can fail: reading submissions, applying reports (each partition's
 * on its own, `submissions:3`, so that one partition stuck on its Redis node shows), the schedule.
 */
export type ProgressPart = 'submissions' | 'acks' | `submissions:${number}` | `acks:${number}` | 'schedule';

/**
 * Whether the supervisor still makes progress, for `/readyz`. Each part reports every batch or round it
 * finished and every one that failed; a part whose work has failed for `stallMs` with no success in between,
 * and still fails (its last failure is younger than twice that), is stalled: Redis answers PING but refuses or
 * fails its commands, say. The supervisor is ready again when the part succeeds, or when its failed work is gone:
 * nothing failed for twice `stallMs`, while failed entries and rounds are tried again well within that (so they
 * are gone, e.g. with a Redis restarted without persistence). Failed work is not lost meanwhile.
 */
export class Progress {
  private readonly failing = new Map<ProgressPart, { since: number; last: number }>();

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(part: ProgressPart): void {
    this.failing.delete(part);
  }

  failed(part: ProgressPart): void {
    const now = this.now();
    const streak = this.failing.get(part);
    if (streak && now - streak.last < 2 * this.stallMs) streak.last = now;
    else this.failing.set(part, { since: now, last: now });
  }

  /** The parts failing for `stallMs` or longer, and failing still. */
  stalled(): ProgressPart[] {
    const now = this.now();
    return [...this.failing]
      .filter(([, { since, last }]) => now - since >= this.stallMs && now - last < 2 * this.stallMs)
      .map(([part]) => part);
  }

  /** Runs `work` as one unit of `part`, recording how it went; rethrows its error. */
  async track<T>(part: ProgressPart, work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.succeeded(part);
      return result;
    } catch (err) {
      this.failed(part);
      throw err;
    }
  }
}
