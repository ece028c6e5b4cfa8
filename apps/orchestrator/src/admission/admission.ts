import { MeshError } from '@mesh/errors';
import { spreadPipeline, type MeshKeys, type Redis } from '@mesh/mesh-protocol';

/** The admission limit is reached: the caller should come back after `retryAfterS`. */
export class OverLimitError extends MeshError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super('MESH_TOO_MANY_QUEUED_RUNS', message, { status: 429 });
  }
}

export interface AdmissionOptions {
  readonly redis: Redis;
  readonly keys: MeshKeys;
  /** Runs queued over all tenants at which submissions get 429. */
  readonly maxQueuedRuns: number;
  /** Runs queued for one tenant at which its submissions get 429. */
  readonly maxQueuedRunsPerTenant: number;
  /** How often (at most) one orchestrator re-checks a full set against the runs' state, in ms. */
  readonly recheckMs?: number;
  readonly now?: () => number;
}

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * Bounds how many runs wait in the `queued` status, over all tenants and per tenant. Each accepted run
 * is added to two sorted sets (all runs; its tenant's runs); counting is a ZCARD. Nothing removes a run
 * when a supervisor starts it, so the sets over-count; when one reaches its limit it is re-checked
 * against each member run's own status (`mesh:run:{id}:meta`), and members no longer queued (or
 * expired) leave it. The count therefore never drifts for longer than one re-check, which runs at most
 * every `recheckMs` per orchestrator and only at the limit. Concurrent submissions may pass the limit
 * by the number in flight at once.
 */
export class Admission {
  private readonly lastRecheck = new Map<string, number>();
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(private readonly o: AdmissionOptions) {
    this.recheckMs = o.recheckMs ?? 1000;
    this.now = o.now ?? Date.now;
  }

  /** The sorted set of queued runs (all tenants, or one). Not a run-state key: only the orchestrator writes it. */
  private setOf(tenant?: string): string {
    return tenant === undefined
      ? `${this.o.keys.prefix}:admission:queued`
      : `${this.o.keys.prefix}:admission:queued:tenant:${tenant}`;
  }

  /** Throws OverLimitError when the tenant or the whole mesh has as many queued runs as allowed. */
  async check(tenant: string): Promise<void> {
    const limits: Array<[string, number, string]> = [
      [this.setOf(), this.o.maxQueuedRuns, `${this.o.maxQueuedRuns} runs are queued`],
      [
        this.setOf(tenant),
        this.o.maxQueuedRunsPerTenant,
        `tenant ${JSON.stringify(tenant)} has ${this.o.maxQueuedRunsPerTenant} runs queued`,
      ],
    ];
    const counts = await Promise.all(limits.map(([set]) => this.o.redis.zcard(set)));
    for (let i = 0; i < limits.length; i++) {
      const [set, max, what] = limits[i] as [string, number, string];
      if ((counts[i] as number) < max) continue;
      if ((await this.recheck(set)) < max) continue;
      throw new OverLimitError(`${what}, the most allowed; retry later`, Math.max(1, Math.ceil(this.recheckMs / 1000)));
    }
  }

  /** Adds an accepted run to the sets, in the caller's pipeline. */
  addIn(pipeline: Pipeline, run: { runId: string; tenant: string; submittedAt: number }): void {
    for (const set of [this.setOf(), this.setOf(run.tenant)]) pipeline.zadd(set, run.submittedAt, run.runId);
  }

  /** Takes a run out of the sets (its submission was not queued after all). */
  async remove(run: { runId: string; tenant: string }): Promise<void> {
    await spreadPipeline(this.o.redis).zrem(this.setOf(), run.runId).zrem(this.setOf(run.tenant), run.runId).exec();
  }

  /** Drops the members of `set` whose run is no longer queued; returns how many are left. */
  private async recheck(set: string): Promise<number> {
    const last = this.lastRecheck.get(set);
    if (last !== undefined && this.now() - last < this.recheckMs) return this.o.redis.zcard(set);
    if (this.lastRecheck.size > 10_000) this.lastRecheck.clear(); // one entry per tenant seen at its limit
    this.lastRecheck.set(set, this.now());
    const members = await this.o.redis.zrange(set, '0', '-1');
    if (members.length === 0) return 0;
    const pipeline = spreadPipeline(this.o.redis);
    for (const runId of members) pipeline.hget(this.o.keys.run(runId, 'meta'), 'status');
    const statuses = await pipeline.exec();
    const gone = members.filter((_, i) => {
      const [err, status] = statuses?.[i] ?? [new Error('no reply')];
      if (err) throw err;
      return status !== 'queued';
    });
    for (let i = 0; i < gone.length; i += 1000) await this.o.redis.zrem(set, ...gone.slice(i, i + 1000));
    return members.length - gone.length;
  }
}
