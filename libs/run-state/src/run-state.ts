import type { MeshKeys, Redis, Submission, SubmissionTask, TaskRequirements } from '@mesh/mesh-protocol';
import { renderRecord, renderSummary, type RunRecord, type RunSummary } from './record';
import { RUN_KEY_PARTS, runKeyList } from './run-keys';
import { withRunStateCommands, type RunStateCommands } from './scripts';
import type { RunStatus, TaskStatus } from './statuses';

/** What an assignment needs of a task, kept in the run's `spec` hash. */
export interface TaskSpec {
  readonly kind: string;
  readonly payload: unknown;
  readonly timeoutMs: number;
  readonly queueTimeoutMs?: number;
  /** The domain the task itself names (instead of its run's route). */
  readonly domain?: string;
  /** The hardware the task needs: it goes to a domain whose live runners have it. */
  readonly requires?: TaskRequirements;
}

/** Where a run goes: the facts every assignment of it carries. */
export interface RunRoute {
  readonly workflow: string;
  readonly tenant: string;
  readonly domain: string;
  readonly route: string;
}

/** A task attempt that is `queued` and whose assignment is to be published. */
export interface QueuedTask {
  readonly taskId: string;
  readonly attempt: number;
  readonly spec: TaskSpec;
  /** The outputs of its dependencies, by dependency id (absent for a task without dependencies). */
  readonly inputs?: Record<string, unknown>;
}

export interface StartResult {
  readonly outcome: 'started' | 'replayed' | 'unchanged' | 'missing';
  readonly runStatus: RunStatus | '';
  readonly route: RunRoute;
  readonly queued: QueuedTask[];
}

export interface SettleInput {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly success: boolean;
  readonly error?: string;
  /** False for failures retrying cannot fix (no runner for the domain, the delivery limit). */
  readonly allowRetry: boolean;
  /** The output of a successful attempt, as JSON text. */
  readonly outputJson?: string;
  readonly runnerId?: string;
  readonly startedAt?: number;
  /** The ack entry is read again after a supervisor died before acking it: report what it had queued. */
  readonly replay?: boolean;
}

export type SettleOutcome = 'applied' | 'retry' | 'duplicate' | 'unknown';

export interface SettleResult {
  readonly outcome: SettleOutcome;
  readonly route: RunRoute;
  /** The run's status after this outcome. */
  readonly runStatus: RunStatus | '';
  readonly taskStatus: TaskStatus | '';
  /** The task's current attempt (after a retry, the next one). */
  readonly currentAttempt: number;
  /** Tasks that became `queued` (or, on a replay, still are): publish their assignments. */
  readonly queued: QueuedTask[];
  readonly skipped: string[];
  /** True only for the outcome that finished the run. */
  readonly finishedRun: boolean;
  readonly submittedAt: number;
  /** The run's error (its first final task failure), once there is one. */
  readonly runError?: string;
}

export interface PickupInput {
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly startedAt: number;
}

export interface LoadedTask {
  readonly route: RunRoute;
  readonly task: QueuedTask;
}

/** What abandon() did to a run whose submission could not be processed. */
export interface AbandonResult {
  /** ended: the run ended now; abandoned: tasks failed, some still running; unchanged: it had ended; missing. */
  readonly outcome: 'ended' | 'abandoned' | 'unchanged' | 'missing';
  readonly runStatus: RunStatus | '';
  readonly workflow: string;
  readonly submittedAt: number;
  readonly runError?: string;
  /** The tasks it failed (those not started yet). */
  readonly failed: string[];
}

/** What cancel() did. */
export interface CancelResult {
  /** cancelled: the run ended cancelled now; finished: it had already ended (runStatus says how); missing. */
  readonly outcome: 'cancelled' | 'finished' | 'missing';
  readonly runStatus: RunStatus | '';
  readonly workflow: string;
  readonly tenant: string;
  /** The attempts that were running, to be aborted on their runners. */
  readonly running: ReadonlyArray<{ taskId: string; attempt: number; runnerId: string }>;
}

/** What a re-run of a finished run needs: its tasks as submitted, and the outputs of those that succeeded. */
export interface RerunPlan {
  readonly workflow: string;
  readonly tenant: string;
  readonly status: RunStatus;
  readonly tasks: SubmissionTask[];
  /** Task id → its output JSON ('' when it succeeded without output), for each task that succeeded. */
  readonly reused: ReadonlyMap<string, string>;
}

export interface RunStateOptions {
  /** How long a finished run's keys are kept. */
  readonly finishedTtlMs: number;
  readonly now?: () => number;
}

/** Script calls per run: a run of 100,000 tasks settles in chunks, never in one call that blocks Redis. */
const CHUNK = 500;

/**
 * The one state of every run, in the run's own keys (`mesh:run:{<runId>}:…`), changed only by the Lua
 * scripts of this library. The orchestrator creates runs and reads them; supervisors start, settle and
 * schedule them; every call over many runs is pipelined as one script call per run and chunk.
 */
export class RunState {
  private readonly redis: Redis & RunStateCommands;
  private readonly now: () => number;

  constructor(
    redis: Redis,
    private readonly keys: MeshKeys,
    private readonly o: RunStateOptions,
  ) {
    this.redis = withRunStateCommands(redis);
    this.now = o.now ?? Date.now;
  }

  /** Every key of a run (for tests and housekeeping). */
  runKeys(runId: string): string[] {
    return runKeyList(this.keys, runId);
  }

  /**
   * Stores a submitted run as `queued`; a run that exists is left as it is. A re-run names the run it re-runs
   * and the outputs it reuses (task id → output JSON, '' for none): those tasks start `succeeded`.
   */
  async create(s: Submission, rerunOf = '', reused?: ReadonlyMap<string, string>): Promise<'created' | 'exists'> {
    const [outcome] = await this.redis.meshRunCreate(this.createArgs(s, rerunOf, reused));
    return outcome === 'created' ? 'created' : 'exists';
  }

  /** Adds the create of `s` to a pipeline (its reply is the script's: {'created'|'exists', status}). */
  createIn(
    pipeline: ReturnType<Redis['pipeline']>,
    s: Submission,
    rerunOf = '',
    reused?: ReadonlyMap<string, string>,
  ): void {
    (pipeline as unknown as { meshRunCreate(args: Array<string | number>): void }).meshRunCreate(
      this.createArgs(s, rerunOf, reused),
    );
  }

  private createArgs(s: Submission, rerunOf: string, reused?: ReadonlyMap<string, string>): Array<string | number> {
    const args: Array<string | number> = [
      ...this.runKeys(s.runId),
      s.runId,
      s.workflow,
      s.tenant,
      s.submittedAt,
      rerunOf,
    ];
    for (const t of s.tasks) {
      const spec: TaskSpec = {
        kind: t.kind,
        payload: t.payload,
        timeoutMs: t.timeoutMs,
        ...(t.queueTimeoutMs !== undefined ? { queueTimeoutMs: t.queueTimeoutMs } : {}),
        ...(t.domain !== undefined ? { domain: t.domain } : {}),
        ...(t.requires !== undefined ? { requires: t.requires } : {}),
      };
      const output = reused?.get(t.id);
      const route =
        t.domain !== undefined ? { domain: t.domain } : t.requires !== undefined ? { requires: t.requires } : undefined;
      args.push(
        t.id,
        JSON.stringify(spec),
        [...new Set(t.dependsOn)].join(','),
        t.retries,
        output === undefined ? '' : `r${output}`,
        route === undefined ? '' : JSON.stringify(route),
      );
    }
    // One array argument (ioredis flattens it): a run may have 100,000 tasks, too many to spread into a call.
    return args;
  }

  /** A supervisor takes the run: routed to `domain`, its root tasks queued (see start.lua). */
  async start(
    runId: string,
    o: { domain: string; route: string; hardware?: unknown; replay: boolean },
  ): Promise<StartResult> {
    const reply = await this.redis.meshRunStart([
      ...this.runKeys(runId),
      this.now(),
      o.domain,
      o.route,
      o.hardware === undefined ? '' : JSON.stringify(o.hardware),
      o.replay ? 1 : 0,
    ]);
    const [outcome, runStatus, workflow, tenant, domain, route] = reply as string[];
    return {
      outcome: outcome as StartResult['outcome'],
      runStatus: runStatus as RunStatus | '',
      route: { workflow: workflow ?? '', tenant: tenant ?? '', domain: domain ?? '', route: route ?? '' },
      queued: readQueued(reply, 6).tasks,
    };
  }

  /** Marks attempts picked up by `runnerId` as running; returns, per input, whether it now runs there. */
  async pickup(runnerId: string, hardware: unknown, inputs: readonly PickupInput[]): Promise<boolean[]> {
    const hw = hardware === undefined || hardware === null ? '' : JSON.stringify(hardware);
    const started: boolean[] = new Array(inputs.length).fill(false);
    await this.perRun(inputs, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId), runnerId, hw];
      for (const i of chunk) {
        const p = inputs[i] as PickupInput;
        args.push(p.taskId, p.attempt, p.startedAt);
      }
      return [
        this.redis.meshRunPickup(args),
        (reply) => chunk.forEach((i, k) => (started[i] = (reply as number[])[k] === 1)),
      ];
    });
    return started;
  }

  /**
   * Applies attempt outcomes, in the order given, one script call per run and chunk (see settle.lua).
   * `hardwareOf` gives the hardware of a runner named by an outcome, stored once per run.
   */
  async settle(
    inputs: readonly SettleInput[],
    hardwareOf: (runnerId: string) => unknown = () => undefined,
  ): Promise<SettleResult[]> {
    const results: SettleResult[] = new Array(inputs.length);
    await this.perRun(inputs, (runId, chunk) => {
      const runners = new Map<string, string>();
      for (const i of chunk) {
        const id = (inputs[i] as SettleInput).runnerId;
        if (!id || runners.has(id)) continue;
        const hw = hardwareOf(id);
        if (hw !== undefined && hw !== null) runners.set(id, JSON.stringify(hw));
      }
      const args: Array<string | number> = [...this.runKeys(runId), this.now(), this.o.finishedTtlMs, runners.size];
      for (const [id, json] of runners) args.push(id, json);
      for (const i of chunk) {
        const s = inputs[i] as SettleInput;
        args.push(
          s.taskId,
          s.attempt,
          s.success ? 1 : 0,
          s.error ?? '',
          s.allowRetry ? 1 : 0,
          s.outputJson ?? '',
          s.runnerId ?? '',
          s.startedAt ?? '',
          s.replay ? 1 : 0,
        );
      }
      return [
        this.redis.meshRunSettle(args),
        (raw) => {
          const reply = raw as Array<string | number>;
          const route = routeOf(reply, 0);
          const run = { submittedAt: Number(reply[4]), error: String(reply[5] ?? '') };
          let at = 6;
          for (const i of chunk) {
            const length = Number(reply[at]);
            results[i] = parseSettle(reply.slice(at + 1, at + 1 + length), route, run);
            at += 1 + length;
          }
        },
      ];
    });
    return results;
  }

  /**
   * For attempts taken from the schedule: their spec and inputs while still queued; `early` for the next
   * attempt of a task whose current one is not settled yet (ask again later); undefined when gone.
   */
  async load(
    items: ReadonlyArray<{ runId: string; taskId: string; attempt: number }>,
  ): Promise<Array<LoadedTask | 'early' | undefined>> {
    const loaded: Array<LoadedTask | 'early' | undefined> = new Array(items.length).fill(undefined);
    await this.perRun(items, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId)];
      for (const i of chunk)
        args.push((items[i] as { taskId: string }).taskId, (items[i] as { attempt: number }).attempt);
      return [
        this.redis.meshRunLoad(args),
        (raw) => {
          const reply = raw as Array<string | number>;
          const route = routeOf(reply, 1);
          chunk.forEach((i, k) => {
            const at = 5 + k * 3;
            if (Number(reply[at]) === 2) loaded[i] = 'early';
            if (Number(reply[at]) !== 1) return;
            const item = items[i] as { taskId: string; attempt: number };
            loaded[i] = {
              route,
              task: queuedTask(item.taskId, item.attempt, reply[at + 1] as string, reply[at + 2] as string),
            };
          });
        },
      ];
    });
    return loaded;
  }

  /**
   * Marks attempts that found no live runner as waiting (see wait.lua): per input, when its wait started and
   * whether this call started it; undefined for an attempt no longer waiting to be published.
   */
  async wait(
    items: ReadonlyArray<{ runId: string; taskId: string; attempt: number }>,
  ): Promise<Array<{ since: number; started: boolean } | undefined>> {
    const out: Array<{ since: number; started: boolean } | undefined> = new Array(items.length).fill(undefined);
    const now = this.now();
    await this.perRun(items, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId), now];
      for (const i of chunk)
        args.push((items[i] as { taskId: string }).taskId, (items[i] as { attempt: number }).attempt);
      return [
        this.redis.meshRunWait(args),
        (raw) => {
          const reply = raw as number[];
          chunk.forEach((i, k) => {
            const since = Number(reply[2 * k]);
            if (since > 0) out[i] = { since, started: Number(reply[2 * k + 1]) === 1 };
          });
        },
      ];
    });
    return out;
  }

  /**
   * Ends what no supervisor could carry through: every task of the run not started yet fails with `error`,
   * and the run ends `failed` once no task is left running (see abandon.lua).
   */
  async abandon(runId: string, error: string): Promise<AbandonResult> {
    const reply = await this.redis.meshRunAbandon([...this.runKeys(runId), this.now(), this.o.finishedTtlMs, error]);
    const [outcome, runStatus, workflow, submittedAt, runError, n] = reply;
    return {
      outcome: outcome as AbandonResult['outcome'],
      runStatus: runStatus as RunStatus | '',
      workflow: String(workflow ?? ''),
      submittedAt: Number(submittedAt ?? 0),
      ...(runError ? { runError: String(runError) } : {}),
      failed: reply.slice(6, 6 + Number(n ?? 0)).map(String),
    };
  }

  /**
   * Ends a run `cancelled` now (see cancel.lua): tasks not started never start; the attempts that were running
   * are returned, to be aborted on their runners. A run that ended is left as it is.
   */
  async cancel(runId: string, reason: string): Promise<CancelResult> {
    const reply = await this.redis.meshRunCancel([...this.runKeys(runId), this.now(), this.o.finishedTtlMs, reason]);
    const [outcome, runStatus, workflow, tenant, n] = reply;
    const running: Array<{ taskId: string; attempt: number; runnerId: string }> = [];
    for (let i = 0, at = 5; i < Number(n ?? 0); i++, at += 3)
      running.push({
        taskId: String(reply[at]),
        attempt: Number(reply[at + 1]),
        runnerId: String(reply[at + 2] ?? ''),
      });
    return {
      outcome: outcome as CancelResult['outcome'],
      runStatus: runStatus as RunStatus | '',
      workflow: String(workflow ?? ''),
      tenant: String(tenant ?? ''),
      running,
    };
  }

  /** A finished or running run's tasks as submitted and the outputs of those that succeeded; undefined when none. */
  async rerunPlan(runId: string): Promise<RerunPlan | undefined> {
    const k = (part: (typeof RUN_KEY_PARTS)[number]): string => this.keys.run(runId, part);
    const pipeline = this.redis.pipeline();
    for (const part of ['meta', 'spec', 'deps', 'retries', 'status', 'output'] as const) pipeline.hgetall(k(part));
    pipeline.get(k('order'));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err)?.[0];
    if (failed) throw failed;
    const [meta, spec, deps, retries, status, output] = replies.slice(0, 6).map(([, v]) => v as Record<string, string>);
    const order = (replies[6]?.[1] as string | null) ?? '';
    if (!meta?.['runId']) return undefined;
    const reused = new Map<string, string>();
    const tasks = (order === '' ? [] : order.split(',')).map((id): SubmissionTask => {
      const s = JSON.parse(spec?.[id] ?? '{}') as TaskSpec;
      if (status?.[id] === 'succeeded') reused.set(id, output?.[id] ?? '');
      return {
        id,
        kind: s.kind,
        payload: s.payload,
        dependsOn: deps?.[id] ? deps[id].split(',') : [],
        retries: Number(retries?.[id] ?? 0),
        timeoutMs: s.timeoutMs,
        ...(s.queueTimeoutMs !== undefined ? { queueTimeoutMs: s.queueTimeoutMs } : {}),
        ...(s.domain !== undefined ? { domain: s.domain } : {}),
        ...(s.requires !== undefined ? { requires: s.requires } : {}),
      };
    });
    return {
      workflow: meta['workflow'] ?? '',
      tenant: meta['tenant'] ?? '',
      status: meta['status'] as RunStatus,
      tasks,
      reused,
    };
  }

  /**
   * Records the domain chosen for tasks routed by what they require (see route.lua), so that their records
   * name it; one script call per run and chunk.
   */
  async route(items: ReadonlyArray<{ runId: string; taskId: string; attempt: number; domain: string }>): Promise<void> {
    await this.perRun(items, (runId, chunk) => {
      const args: Array<string | number> = [...this.runKeys(runId)];
      for (const i of chunk) {
        const it = items[i] as { taskId: string; attempt: number; domain: string };
        args.push(it.taskId, it.attempt, it.domain);
      }
      return [this.redis.meshRunRoute(args), () => undefined];
    });
  }

  /** Deletes every key of a run (one whose submission could not be published). */
  async discard(runId: string): Promise<void> {
    await this.redis.unlink(...this.runKeys(runId));
  }

  /** Claims up to `limit` due members of a sorted-set schedule, leasing them until `leaseUntil`. */
  claimDue(schedule: string, now: number, limit: number, leaseUntil: number): Promise<string[]> {
    return this.redis.meshClaimDue(schedule, now, limit, leaseUntil);
  }

  /**
   * The ready work of a sorted-set schedule (see depth.lua): due dispatch members, plus the `held` members
   * (held back for a runner) that wait for a later check; and which held members are gone from it.
   */
  async scheduleDepth(
    schedule: string,
    now: number,
    held: readonly string[],
  ): Promise<{ ready: number; gone: string[] }> {
    const reply = await this.redis.meshScheduleDepth(schedule, now, ...held);
    return { ready: Number(reply[0] ?? 0), gone: reply.slice(1).map(String) };
  }

  async meta(runId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.run(runId, 'meta'));
  }

  async taskStatuses(runId: string): Promise<Record<string, TaskStatus>> {
    return (await this.redis.hgetall(this.keys.run(runId, 'status'))) as Record<string, TaskStatus>;
  }

  /** The run's summary (no tasks), or undefined when there is no such run. */
  async summary(runId: string): Promise<RunSummary | undefined> {
    const meta = await this.meta(runId);
    return meta['runId'] ? renderSummary(meta) : undefined;
  }

  /** The whole record of a run, read in one round trip, or undefined when there is no such run. */
  async record(runId: string): Promise<RunRecord | undefined> {
    const k = (part: (typeof RUN_KEY_PARTS)[number]): string => this.keys.run(runId, part);
    const hashes = ['meta', 'spec', 'deps', 'status', 'attempt', 'info', 'output', 'runners', 'routes'] as const;
    const pipeline = this.redis.pipeline();
    for (const part of hashes) pipeline.hgetall(k(part));
    pipeline.get(k('order'));
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err)?.[0];
    if (failed) throw failed;
    const values = replies.map(([, value]) => value);
    const meta = values[0] as Record<string, string>;
    if (!meta['runId']) return undefined;
    const h = Object.fromEntries(hashes.map((part, i) => [part, values[i] as Record<string, string>]));
    return renderRecord({
      ...(h as Record<(typeof hashes)[number], Record<string, string>>),
      order: (values[hashes.length] as string | null) ?? '',
    });
  }

  /**
   * Groups items by run (chunks of CHUNK) and issues one request per group, all at once: they share the
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
      for (let c = 0; c < indexes.length; c += CHUNK) {
        const [reply, take] = request(runId, indexes.slice(c, c + CHUNK));
        pending.push(reply.then(take));
      }
    }
    await Promise.all(pending);
  }
}

function routeOf(reply: ReadonlyArray<string | number>, at: number): RunRoute {
  return {
    workflow: String(reply[at] ?? ''),
    tenant: String(reply[at + 1] ?? ''),
    domain: String(reply[at + 2] ?? ''),
    route: String(reply[at + 3] ?? ''),
  };
}

function queuedTask(taskId: string, attempt: number, specJson: string, inputsJson: string): QueuedTask {
  return {
    taskId,
    attempt,
    spec: JSON.parse(specJson) as TaskSpec,
    ...(inputsJson ? { inputs: JSON.parse(inputsJson) as Record<string, unknown> } : {}),
  };
}

/** Reads `n, n × (taskId attempt specJson inputsJson)` starting at `at`. */
function readQueued(reply: ReadonlyArray<string | number>, at: number): { tasks: QueuedTask[]; next: number } {
  const n = Number(reply[at] ?? 0);
  const tasks: QueuedTask[] = [];
  let i = at + 1;
  for (let k = 0; k < n; k++, i += 4)
    tasks.push(queuedTask(String(reply[i]), Number(reply[i + 1]), String(reply[i + 2]), String(reply[i + 3] ?? '')));
  return { tasks, next: i };
}

function parseSettle(
  reply: ReadonlyArray<string | number>,
  route: RunRoute,
  run: { submittedAt: number; error: string },
): SettleResult {
  const [outcome, runStatus, taskStatus, current] = reply as [SettleOutcome, RunStatus | '', TaskStatus | '', number];
  const { tasks: queued, next } = readQueued(reply, 4);
  const nSkipped = Number(reply[next] ?? 0);
  const skipped: string[] = [];
  for (let k = 0; k < nSkipped; k++) skipped.push(String(reply[next + 1 + k]));
  return {
    outcome,
    route,
    runStatus,
    taskStatus,
    currentAttempt: Number(current),
    queued,
    skipped,
    finishedRun: outcome === 'applied' && runStatus !== 'running' && runStatus !== '',
    submittedAt: run.submittedAt,
    ...(run.error ? { runError: run.error } : {}),
  };
}
