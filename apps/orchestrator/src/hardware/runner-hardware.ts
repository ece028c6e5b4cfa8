import type { Logger } from '@mesh/logging';
import {
  readRunnerRegistry,
  type HardwareSnapshot,
  type MeshKeys,
  type Redis,
  type RunnerRegistration,
} from '@mesh/mesh-protocol';

/**
 * Runner hardware as registered in `mesh:runners`, re-read at most every `refreshMs`. Remembers
 * runners that have since gone, so a task's record still gets the hardware it ran on.
 */
export class RunnerHardware {
  private readonly byRunner = new Map<string, { hardware: HardwareSnapshot; collectedAt: number }>();
  private readAt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly o: {
      redis: Redis;
      keys: MeshKeys;
      refreshMs: number;
      logger: Logger;
      now?: () => number;
      maxRemembered?: number;
    },
  ) {}

  /** Re-reads the registry when the cached view is older than refreshMs. */
  async refresh(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.readAt < this.o.refreshMs) return;
    this.refreshing ??= this.read(now).finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  /** The most recently collected snapshot of any runner, or null when none has registered. */
  latest(): HardwareSnapshot | null {
    let best: { hardware: HardwareSnapshot; collectedAt: number } | undefined;
    for (const entry of this.byRunner.values()) if (!best || entry.collectedAt > best.collectedAt) best = entry;
    return best?.hardware ?? null;
  }

  of(runnerId: string): HardwareSnapshot | undefined {
    return this.byRunner.get(runnerId)?.hardware;
  }

  private async read(now: number): Promise<void> {
    let registry: RunnerRegistration[];
    try {
      registry = await readRunnerRegistry(this.o.redis, this.o.keys);
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot read runner hardware; keeping the last view');
      return;
    }
    for (const r of registry) {
      if (r.hardware)
        this.byRunner.set(r.runnerId, {
          hardware: r.hardware,
          collectedAt: Number(r.hardware.collectedAt ?? r.lastSeen),
        });
    }
    // Bound memory: forget the longest-unseen runners beyond the cap.
    const cap = this.o.maxRemembered ?? 10_000;
    if (this.byRunner.size > cap) {
      const oldest = [...this.byRunner.entries()]
        .sort((a, b) => a[1].collectedAt - b[1].collectedAt)
        .slice(0, this.byRunner.size - cap);
      for (const [id] of oldest) this.byRunner.delete(id);
    }
    this.readAt = now;
  }
}
