import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import {
  isLiveRunner,
  readRunnerRegistry,
  type MeshKeys,
  type Redis,
  type RunnerRegistration,
} from '@mesh/mesh-protocol';

/**
 * Which domains have a live runner, read from `mesh:runners` (a runner is live while its last
 * heartbeat is younger than its lease). Cached for `refreshMs` so dispatching does not read the
 * registry per task; exports `supervisor_runners_online{domain}`.
 */
export class RunnerDirectory {
  private live = new Map<string, number>();
  private readAt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly o: {
      redis: Redis;
      keys: MeshKeys;
      refreshMs: number;
      defaultLeaseMs: number;
      metrics: Pick<SupervisorMetrics, 'runnersOnline'>;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  async hasLiveRunner(domain: string): Promise<boolean> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.readAt >= this.o.refreshMs) {
      this.refreshing ??= this.refresh(now).finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return (this.live.get(domain) ?? 0) > 0;
  }

  /** Forces the next check to read the registry (e.g. when a domain had no runner). */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private async refresh(now: number): Promise<void> {
    let registry: RunnerRegistration[];
    try {
      registry = await readRunnerRegistry(this.o.redis, this.o.keys);
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot read the runner registry; keeping the last view');
      return;
    }
    const live = new Map<string, number>();
    for (const r of registry) {
      if (isLiveRunner(r, now, this.o.defaultLeaseMs)) live.set(r.domain, (live.get(r.domain) ?? 0) + 1);
    }
    this.live = live;
    this.readAt = now;
    this.o.metrics.runnersOnline.reset();
    for (const [domain, count] of live) this.o.metrics.runnersOnline.set({ domain }, count);
  }
}
