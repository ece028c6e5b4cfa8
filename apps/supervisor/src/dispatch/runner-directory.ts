import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import {
  isLiveRunner,
  parseRunnerRegistry,
  type MeshKeys,
  type Redis,
  satisfies,
  type HardwareSnapshot,
  type RunnerRegistration,
  type TaskRequirements,
} from '@mesh/mesh-protocol';

/** Deletes a registration only if it is still the one read: a runner that heartbeat meanwhile keeps its entry. */
const REMOVE_UNCHANGED_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

/**
 * Which domains have a live runner, read from `mesh:runners` (a runner is live while its last
 * heartbeat is younger than its lease). Cached for `refreshMs` so dispatching does not read the
 * registry per task; exports `supervisor_runners_online{domain}`. A runner silent for longer than its
 * lease is gone: its registration is removed, so the registry holds the runners that exist.
 */
export class RunnerDirectory {
  private live = new Map<string, RunnerRegistration[]>();
  private hardwareById = new Map<string, HardwareSnapshot>();
  private readAt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly o: {
      redis: Redis;
      keys: MeshKeys;
      refreshMs: number;
      defaultLeaseMs: number;
      metrics: Pick<
        SupervisorMetrics,
        'runnersOnline' | 'workerTaskFailures' | 'workerLatencySeconds' | 'workerLatencySamples'
      >;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  async hasLiveRunner(domain: string): Promise<boolean> {
    return (await this.liveIn(domain)).length > 0;
  }

  /** The hardware of the domain's live runners, by runner id (those that reported some). */
  async hardwareOf(domain: string): Promise<Record<string, HardwareSnapshot>> {
    const out: Record<string, HardwareSnapshot> = {};
    for (const r of await this.liveIn(domain)) if (r.hardware) out[r.runnerId] = r.hardware;
    return out;
  }

  /**
   * A domain with a live runner whose hardware meets `requires`: `preferred` (the run's route) when it has one,
   * else the domain with the most such runners (by name on a tie); undefined when no live runner meets it.
   */
  async domainFor(requires: TaskRequirements, preferred: string): Promise<string | undefined> {
    await this.fresh();
    let best: { domain: string; n: number } | undefined;
    for (const [domain, runners] of this.live) {
      const n = runners.filter((r) => satisfies(r.hardware, requires)).length;
      if (n === 0) continue;
      if (domain === preferred) return domain;
      if (!best || n > best.n || (n === best.n && domain < best.domain)) best = { domain, n };
    }
    return best?.domain;
  }

  /** The hardware of a registered runner (live or not), from the cached view. */
  hardwareOfRunner(runnerId: string): HardwareSnapshot | undefined {
    return this.hardwareById.get(runnerId);
  }

  /** Re-reads the registry when the cached view is older than refreshMs. */
  async fresh(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.readAt < this.o.refreshMs) return;
    this.refreshing ??= this.refresh(now).finally(() => (this.refreshing = undefined));
    await this.refreshing;
  }

  private async liveIn(domain: string): Promise<RunnerRegistration[]> {
    await this.fresh();
    return this.live.get(domain) ?? [];
  }

  /** Forces the next check to read the registry (e.g. when a domain had no runner). */
  invalidate(): void {
    this.readAt = -Infinity;
  }

  private async refresh(now: number): Promise<void> {
    let raw: Record<string, string>;
    try {
      raw = await this.o.redis.hgetall(this.o.keys.runners);
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot read the runner registry; keeping the last view');
      return;
    }
    const registry = parseRunnerRegistry(raw);
    const live = new Map<string, RunnerRegistration[]>();
    const silent: RunnerRegistration[] = [];
    // Registered runners only (a runner that deregistered is forgotten), so this never outgrows the registry.
    this.hardwareById = new Map(registry.flatMap((r) => (r.hardware ? [[r.runnerId, r.hardware] as const] : [])));
    for (const r of registry) {
      if (!isLiveRunner(r, now, this.o.defaultLeaseMs)) {
        silent.push(r);
        continue;
      }
      const list = live.get(r.domain);
      if (list) list.push(r);
      else live.set(r.domain, [r]);
    }
    this.live = live;
    this.readAt = now;
    this.o.metrics.runnersOnline.reset();
    for (const [domain, runners] of live) {
      this.o.metrics.runnersOnline.set({ domain }, runners.length);
      // A runner's worker series start at 0 before its first ack, so rate() sees its first failure.
      for (const { runnerId: worker } of runners) {
        this.o.metrics.workerTaskFailures.zero({ worker });
        this.o.metrics.workerLatencySeconds.zero({ worker });
        this.o.metrics.workerLatencySamples.zero({ worker });
      }
    }
    if (silent.length > 0) await this.remove(silent, raw);
  }

  /** Removes the registrations of runners silent for longer than their lease (each only if unchanged since read). */
  private async remove(silent: readonly RunnerRegistration[], raw: Readonly<Record<string, string>>): Promise<void> {
    try {
      const pipeline = this.o.redis.pipeline();
      for (const r of silent)
        pipeline.eval(REMOVE_UNCHANGED_LUA, 1, this.o.keys.runners, r.runnerId, raw[r.runnerId] ?? '');
      const replies = (await pipeline.exec()) ?? [];
      silent.forEach((r, i) => {
        const [err, removed] = replies[i] ?? [];
        if (err) throw err;
        if (Number(removed) === 1)
          this.o.logger.info(
            { runnerId: r.runnerId, domain: r.domain, lastSeen: r.lastSeen },
            'runner silent for longer than its lease; registration removed',
          );
      });
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot remove silent runner registrations; will retry');
    }
  }
}
