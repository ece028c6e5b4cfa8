import type { MeshKeys, Redis, Submission } from '@mesh/mesh-protocol';
import { CLAIM_DUE, CREATE_RUN, MARK_DISPATCHED, SETTLE_TASK } from './scripts';

const PARTS = ['meta', 'spec', 'children', 'waiting', 'status', 'attempt', 'retries'] as const;

/** What an assignment needs from the run: kept in the run's `spec` hash per task. */
export interface TaskSpec {
  readonly kind: string;
  readonly payload: unknown;
  readonly timeoutMs: number;
}

export interface RunMeta {
  readonly runId: string;
  readonly workflow: string;
  readonly tenant: string;
  readonly domain: string;
  readonly route: 'override' | 'default';
  readonly submittedAt: number;
  readonly status: string;
}

export interface ReadyTask {
  readonly taskId: string;
  readonly attempt: number;
}

export interface CreateResult {
  readonly created: boolean;
  readonly runStatus: string;
  /** Tasks ready to dispatch (roots on creation; those not yet dispatched when the run existed). */
  readonly ready: ReadyTask[];
}

export type SettleOutcome = 'applied' | 'retry' | 'duplicate' | 'unknown';

export interface SettleResult {
  readonly outcome: SettleOutcome;
  /** The run's status after this settlement: running, succeeded or failed. */
  readonly runStatus: string;
  readonly taskStatus: string;
  /** The task's current attempt (after a retry, the next one). */
  readonly currentAttempt: number;
  readonly ready: ReadyTask[];
  readonly skipped: string[];
  /** True only for the settlement that finished the run. */
  readonly finishedRun: boolean;
}

export interface SettleInput {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly success: boolean;
  readonly error?: string;
  /** False for failures retrying cannot fix (no runner for the domain, publish gave up). */
  readonly allowRetry: boolean;
}

type Scripted = Redis & {
  meshCreateRun(args: Array<string | number>): Promise<string[]>;
  meshSettleTask(...args: Array<string | number>): Promise<Array<string | number>>;
  meshMarkDispatched(...args: Array<string | number>): Promise<number>;
  meshClaimDue(...args: Array<string | number>): Promise<string[]>;
};

/**
 * Run and task state in Redis, changed only by Lua scripts over one run's keys, so every change
 * is atomic and survives a supervisor crash. Finished runs expire after `finishedTtlMs`.
 */
export class RunStore {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly keys: MeshKeys,
    private readonly finishedTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const r = redis as Scripted;
    if (typeof r.meshSettleTask !== 'function') {
      r.defineCommand('meshCreateRun', { numberOfKeys: PARTS.length, lua: CREATE_RUN });
      r.defineCommand('meshSettleTask', { numberOfKeys: PARTS.length, lua: SETTLE_TASK });
      r.defineCommand('meshMarkDispatched', { numberOfKeys: PARTS.length, lua: MARK_DISPATCHED });
      r.defineCommand('meshClaimDue', { numberOfKeys: 1, lua: CLAIM_DUE });
    }
    this.redis = r;
  }

  runKeys(runId: string): string[] {
    return PARTS.map((part) => this.keys.run(runId, part));
  }

  /** Stores a validated submission as a running run; idempotent (a second call reports what is ready). */
  async create(s: Submission, domain: string, route: 'override' | 'default'): Promise<CreateResult> {
    const args: Array<string | number> = [s.runId, s.workflow, s.tenant, domain, route, s.submittedAt, this.now(), s.tasks.length];
    for (const t of s.tasks) {
      const spec: TaskSpec = { kind: t.kind, payload: t.payload, timeoutMs: t.timeoutMs };
      args.push(t.id, JSON.stringify(spec), [...new Set(t.dependsOn)].join(','), t.retries);
    }
    // One array argument (ioredis flattens it): a run may have 100,000 tasks, too many to spread into a call.
    const reply = await this.redis.meshCreateRun([...this.runKeys(s.runId), ...args]);
    const ready: ReadyTask[] = [];
    for (let i = 2; i < reply.length; i += 2) ready.push({ taskId: reply[i] as string, attempt: Number(reply[i + 1]) });
    return { created: reply[0] === 'created', runStatus: reply[1] as string, ready };
  }

  /** Settles many attempts in one pipelined round trip. */
  async settleMany(inputs: readonly SettleInput[]): Promise<SettleResult[]> {
    if (inputs.length === 0) return [];
    const pipeline = this.redis.pipeline() as unknown as { meshSettleTask(...a: Array<string | number>): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const i of inputs) {
      pipeline.meshSettleTask(...this.runKeys(i.runId), i.taskId, i.attempt, i.success ? 1 : 0, this.now(), i.error ?? '', i.allowRetry ? 1 : 0, this.finishedTtlMs);
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, reply]) => {
      if (err) throw err;
      return parseSettle(reply as Array<string | number>);
    });
  }

  /** Marks published attempts dispatched (skipping any already settled); returns which were marked. */
  async markDispatched(items: ReadonlyArray<{ runId: string; taskId: string; attempt: number }>): Promise<boolean[]> {
    if (items.length === 0) return [];
    const pipeline = this.redis.pipeline() as unknown as { meshMarkDispatched(...a: Array<string | number>): void; exec(): Promise<Array<[Error | null, unknown]> | null> };
    for (const i of items) pipeline.meshMarkDispatched(...this.runKeys(i.runId), i.taskId, i.attempt);
    return ((await pipeline.exec()) ?? []).map(([err, reply]) => {
      if (err) throw err;
      return reply === 1;
    });
  }

  /** The run's routing facts and each task's spec, for building assignments (one round trip). */
  async loadForDispatch(items: ReadonlyArray<{ runId: string; taskId: string }>): Promise<Array<{ meta: RunMeta; spec: TaskSpec; status: string } | undefined>> {
    if (items.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const i of items) {
      pipeline.hmget(this.keys.run(i.runId, 'meta'), 'runId', 'workflow', 'tenant', 'domain', 'route', 'submittedAt', 'status');
      pipeline.hget(this.keys.run(i.runId, 'spec'), i.taskId);
      pipeline.hget(this.keys.run(i.runId, 'status'), i.taskId);
    }
    const r = (await pipeline.exec()) ?? [];
    return items.map((_, n) => {
      const [e1, meta] = r[n * 3] ?? [];
      const [e2, spec] = r[n * 3 + 1] ?? [];
      const [e3, status] = r[n * 3 + 2] ?? [];
      if (e1 || e2 || e3) throw e1 ?? e2 ?? e3;
      const m = meta as Array<string | null>;
      if (!m?.[0] || typeof spec !== 'string') return undefined;
      return {
        meta: { runId: m[0], workflow: m[1] as string, tenant: m[2] as string, domain: m[3] as string, route: m[4] as 'override' | 'default', submittedAt: Number(m[5]), status: m[6] as string },
        spec: JSON.parse(spec) as TaskSpec,
        status: status as string,
      };
    });
  }

  /** Claims up to `limit` due members of a sorted-set schedule, leasing them until `leaseUntil`. */
  claimDue(schedule: string, now: number, limit: number, leaseUntil: number): Promise<string[]> {
    return this.redis.meshClaimDue(schedule, now, limit, leaseUntil);
  }

  async meta(runId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.run(runId, 'meta'));
  }

  async taskStatuses(runId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.run(runId, 'status'));
  }
}

function parseSettle(reply: Array<string | number>): SettleResult {
  const [outcome, runStatus, taskStatus, current] = reply as [SettleOutcome, string, string, number];
  let i = 4;
  const nReady = Number(reply[i++]);
  const ready: ReadyTask[] = [];
  for (let k = 0; k < nReady; k++, i += 2) ready.push({ taskId: String(reply[i]), attempt: Number(reply[i + 1]) });
  const nSkipped = Number(reply[i++] ?? 0);
  const skipped: string[] = [];
  for (let k = 0; k < nSkipped; k++) skipped.push(String(reply[i++]));
  return { outcome, runStatus, taskStatus, currentAttempt: Number(current), ready, skipped, finishedRun: outcome === 'applied' && runStatus !== 'running' };
}
