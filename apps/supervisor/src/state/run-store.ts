import type { MeshKeys, Redis, Submission } from '@mesh/mesh-protocol';
import { CLAIM_DUE, CREATE_RUN, MARK_DISPATCHED, SETTLE_TASKS } from './scripts';

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
  meshSettleTasks(args: Array<string | number>): Promise<Array<string | number>>;
  meshMarkDispatched(args: Array<string | number>): Promise<number[]>;
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
    if (typeof r.meshSettleTasks !== 'function') {
      r.defineCommand('meshCreateRun', { numberOfKeys: PARTS.length, lua: CREATE_RUN });
      r.defineCommand('meshSettleTasks', { numberOfKeys: PARTS.length, lua: SETTLE_TASKS });
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
    const args: Array<string | number> = [
      s.runId,
      s.workflow,
      s.tenant,
      domain,
      route,
      s.submittedAt,
      this.now(),
      s.tasks.length,
    ];
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

  /**
   * Settles many attempts in one pipelined round trip: one script call per run (and per chunk of
   * its settlements), applied in the order given. Results come back in input order.
   */
  async settleMany(inputs: readonly SettleInput[]): Promise<SettleResult[]> {
    const results: SettleResult[] = new Array(inputs.length);
    await this.perRun(inputs, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId), this.now(), this.finishedTtlMs];
      for (const i of chunk) {
        const s = inputs[i] as SettleInput;
        args.push(s.taskId, s.attempt, s.success ? 1 : 0, s.error ?? '', s.allowRetry ? 1 : 0);
      }
      return [
        this.redis.meshSettleTasks(args),
        (reply: unknown) => {
          const flat = reply as Array<string | number>;
          let at = 0;
          for (const i of chunk) {
            const length = Number(flat[at]);
            results[i] = parseSettle(flat.slice(at + 1, at + 1 + length));
            at += 1 + length;
          }
        },
      ];
    });
    return results;
  }

  /** Marks published attempts dispatched (skipping any already settled); returns which were marked. */
  async markDispatched(items: ReadonlyArray<{ runId: string; taskId: string; attempt: number }>): Promise<boolean[]> {
    const marked: boolean[] = new Array(items.length);
    await this.perRun(items, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId)];
      for (const i of chunk)
        args.push((items[i] as { taskId: string }).taskId, (items[i] as { attempt: number }).attempt);
      return [
        this.redis.meshMarkDispatched(args),
        (reply: unknown) => chunk.forEach((i, k) => (marked[i] = (reply as number[])[k] === 1)),
      ];
    });
    return marked;
  }

  /** The run's routing facts and each task's spec and status, for building assignments (three commands per run). */
  async loadForDispatch(
    items: ReadonlyArray<{ runId: string; taskId: string }>,
  ): Promise<Array<{ meta: RunMeta; spec: TaskSpec; status: string } | undefined>> {
    const loaded: Array<{ meta: RunMeta; spec: TaskSpec; status: string } | undefined> = new Array(items.length).fill(
      undefined,
    );
    await this.perRun(items, (runId, chunk) => {
      const tasks = chunk.map((i) => (items[i] as { taskId: string }).taskId);
      const read = Promise.all([
        this.redis.hmget(
          this.keys.run(runId, 'meta'),
          'runId',
          'workflow',
          'tenant',
          'domain',
          'route',
          'submittedAt',
          'status',
        ),
        this.redis.hmget(this.keys.run(runId, 'spec'), ...tasks),
        this.redis.hmget(this.keys.run(runId, 'status'), ...tasks),
      ]);
      return [
        read,
        (reply: unknown) => {
          const [m, specs, statuses] = reply as [Array<string | null>, Array<string | null>, Array<string | null>];
          if (!m[0]) return;
          const meta: RunMeta = {
            runId: m[0],
            workflow: m[1] as string,
            tenant: m[2] as string,
            domain: m[3] as string,
            route: m[4] as 'override' | 'default',
            submittedAt: Number(m[5]),
            status: m[6] as string,
          };
          chunk.forEach((i, k) => {
            const spec = specs[k];
            if (typeof spec === 'string')
              loaded[i] = { meta, spec: JSON.parse(spec) as TaskSpec, status: statuses[k] as string };
          });
        },
      ];
    });
    return loaded;
  }

  /**
   * Groups items by run (chunks of 500) and issues one request per group, all at once: they share the
   * connection without waiting for each other's replies. Each group's reply is handed back.
   */
  private async perRun<T extends { runId: string }>(
    items: readonly T[],
    request: (runId: string, chunk: number[]) => [Promise<unknown>, (reply: unknown) => void],
  ): Promise<void> {
    const byRun = new Map<string, number[]>();
    items.forEach((item, i) => {
      const list = byRun.get(item.runId);
      if (list) list.push(i);
      else byRun.set(item.runId, [i]);
    });
    const pending: Array<Promise<void>> = [];
    for (const [runId, indexes] of byRun) {
      for (let c = 0; c < indexes.length; c += 500) {
        const [reply, take] = request(runId, indexes.slice(c, c + 500));
        pending.push(reply.then(take));
      }
    }
    await Promise.all(pending);
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
  return {
    outcome,
    runStatus,
    taskStatus,
    currentAttempt: Number(current),
    ready,
    skipped,
    finishedRun: outcome === 'applied' && runStatus !== 'running',
  };
}
