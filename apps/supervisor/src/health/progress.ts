/** The parts of the supervisor whose work can fail: reading submissions, applying reports, the schedule. */
export type ProgressPart = 'submissions' | 'acks' | 'schedule';

/**
 * Whether the supervisor still makes progress, for `/readyz`. Each part reports every batch or round it
 * finished and every one that failed; a part whose work has failed for `stallMs` with no success in between
 * is stalled (Redis answers PING but refuses or fails its commands, say), and the supervisor is not ready
 * until that part succeeds again. Failed work is not lost meanwhile: its entries are taken again.
 */
export class Progress {
  private readonly failingSince = new Map<ProgressPart, number>();

  constructor(
    private readonly stallMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(part: ProgressPart): void {
    this.failingSince.delete(part);
  }

  failed(part: ProgressPart): void {
    if (!this.failingSince.has(part)) this.failingSince.set(part, this.now());
  }

  /** The parts failing for `stallMs` or longer. */
  stalled(): ProgressPart[] {
    const now = this.now();
    return [...this.failingSince].filter(([, since]) => now - since >= this.stallMs).map(([part]) => part);
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
