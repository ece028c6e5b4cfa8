import { randomUUID } from 'node:crypto';
import {
  createKeys,
  decodeEntry,
  GROUPS,
  type MeshKeys,
  type RunEvent,
  type SubmissionTask,
} from '@mesh/mesh-protocol';
import { DEFAULT_CLUSTER_PARTITIONS } from '@mesh/config';
import { RunState } from '@mesh/run-state';
import {
  createRedisTestContext,
  eventually,
  startServiceProcess,
  TEST_DEADLINE_MS,
  type RedisTestContext,
  type ServiceProcess,
} from '@mesh/testing';

/** Fast timings so recovery paths finish in test time. */
export const FAST_SUPERVISOR = {
  SUPERVISOR_BLOCK_MS: '200',
  SUPERVISOR_CLAIM_IDLE_MS: '500',
  SUPERVISOR_SCHEDULE_LEASE_MS: '500',
  SUPERVISOR_RUNNER_REFRESH_MS: '50',
  SUPERVISOR_PUBLISH_RETRY_BASE_MS: '5',
  SUPERVISOR_PUBLISH_RETRY_CAP_MS: '20',
  SUPERVISOR_TASK_RETRY_BASE_MS: '10',
  SUPERVISOR_TASK_RETRY_CAP_MS: '50',
  SUPERVISOR_MISSING_RECHECK_CAP_MS: '100',
};

export interface MeshHarnessOptions {
  /** Settings every service gets (e.g. REDIS_CLUSTER_NODES), over the harness's own. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * MESH_PARTITIONS of the services (default: theirs, 1, or 8 with REDIS_CLUSTER_NODES in `env`): the harness
   * reads and writes the same partitions.
   */
  readonly partitions?: number;
}

/** A mesh of built processes on one test prefix, stopped by `stopAll`. */
export class MeshHarness {
  readonly keys: MeshKeys;
  private readonly procs: ServiceProcess[] = [];
  private readonly env: Readonly<Record<string, string>>;

  constructor(
    private readonly ctx: RedisTestContext,
    options: MeshHarnessOptions = {},
  ) {
    const cluster = options.env?.['REDIS_CLUSTER_NODES'] !== undefined;
    this.keys = createKeys(ctx.prefix, options.partitions ?? (cluster ? DEFAULT_CLUSTER_PARTITIONS : 1));
    this.env = {
      REDIS_URL: ctx.url,
      MESH_STREAM_PREFIX: ctx.prefix,
      ...(options.partitions ? { MESH_PARTITIONS: String(options.partitions) } : {}),
      ...options.env,
    };
  }

  async supervisor(id: string, env: Record<string, string> = {}, argv: string[] = []): Promise<ServiceProcess> {
    const p = await startServiceProcess(
      'supervisor',
      {
        ...this.env,
        SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
        SUPERVISOR_ID: id,
        ...FAST_SUPERVISOR,
        ...env,
      },
      { argv },
    );
    this.procs.push(p);
    return p;
  }

  async orchestrator(id: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const p = await startServiceProcess('orchestrator', {
      ...this.env,
      ORCHESTRATOR_LISTEN: '127.0.0.1:0',
      ORCHESTRATOR_ID: id,
      ORCHESTRATOR_RUNNER_REFRESH_MS: '50',
      ...env,
    });
    this.procs.push(p);
    // It listens before its Redis connection is up (POST answers 503 meanwhile): wait until it is ready.
    await eventually(async () =>
      (await fetch(`http://127.0.0.1:${p.port}/readyz`)).status === 200 ? true : undefined,
    );
    return p;
  }

  async runner(id: string, domain: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const p = await startServiceProcess('env-runner', {
      ...this.env,
      RUNNER_LISTEN: '127.0.0.1:0',
      MESH_DOMAIN: domain,
      RUNNER_ID: id,
      RUNNER_BLOCK_MS: '200',
      RUNNER_HEARTBEAT_MS: '200',
      RUNNER_HARDWARE_INTERVAL_MS: '0',
      ...env,
    });
    this.procs.push(p);
    // Visible to the supervisor once registered.
    await eventually(() => this.ctx.redis.hexists(this.keys.runners, id).then((n) => (n === 1 ? true : undefined)));
    return p;
  }

  /** Writes a submission to mesh:workflows (its run's partition's) as the orchestrator would; returns its run id. */
  async submit(
    workflow: string,
    tenant: string,
    tasks: Array<Partial<SubmissionTask> & { id: string }>,
    runId = randomUUID(),
  ): Promise<string> {
    const full = tasks.map((t) => ({
      kind: 'echo',
      payload: null,
      dependsOn: [],
      retries: 0,
      timeoutMs: 10_000,
      ...t,
    }));
    const submission = { runId, workflow, tenant, tasks: full, submittedAt: Date.now(), hardware: null };
    await this.ctx.redis.xadd(
      this.keys.ofRun(runId).workflows,
      '*',
      'v',
      '1',
      'submission',
      JSON.stringify(submission),
    );
    return runId;
  }

  /**
   * The run events on mesh:run-events, entries that hold several changes unpacked into them: in order for
   * each run (with several partitions, the partitions' feeds one after the other).
   */
  async events(runId?: string): Promise<RunEvent[]> {
    const feeds = runId ? [this.keys.ofRun(runId)] : this.keys.partitionKeys;
    const entries = (await Promise.all(feeds.map((p) => this.ctx.redis.xrange(p.runEvents, '-', '+')))).flat();
    const all = entries.flatMap(([, f]) => {
      const d = decodeEntry('event', f);
      if (!d.ok) return [];
      const { runId: id, workflow, events } = d.message;
      return events ? events.map((e) => ({ runId: id, workflow, ...e })) : [d.message];
    });
    return runId ? all.filter((e) => e.runId === runId) : all;
  }

  /** Waits for the run's run-succeeded or run-failed event. */
  async finished(runId: string, timeoutMs = TEST_DEADLINE_MS): Promise<RunEvent> {
    return eventually(
      async () => (await this.events(runId)).find((e) => e.type === 'run-succeeded' || e.type === 'run-failed'),
      timeoutMs,
    );
  }

  /** The run state of this mesh, read with the test's connection. */
  state(): RunState {
    return new RunState(this.ctx.redis, this.keys, { finishedTtlMs: 60_000 });
  }

  /** Waits until every run's state says it ended (cheap to poll: one hash per run), then for their end events. */
  async allEnded(runIds: readonly string[], timeoutMs = 100_000): Promise<RunEvent[]> {
    const state = this.state();
    const open = async () => {
      const statuses = await Promise.all(runIds.map(async (id) => [id, (await state.meta(id))['status']] as const));
      return statuses.filter(([, s]) => s !== 'succeeded' && s !== 'failed').map(([id]) => id);
    };
    try {
      await eventually(async () => ((await open()).length === 0 ? true : undefined), timeoutMs);
    } catch (err) {
      // Say which runs did not end, and where each of their tasks stands, rather than only that time ran out.
      const stuck = await Promise.all(
        (await open()).map(async (id) => `${id}: ${JSON.stringify(await state.taskStatuses(id))}`),
      );
      throw new Error(`${String(err)}; runs not ended:\n${stuck.join('\n')}`);
    }
    // Run events are written right after the state changes: read them once they are all there.
    return eventually(async () => {
      const events = await this.events();
      const ends = runIds.map((id) =>
        events.find((e) => e.runId === id && (e.type === 'run-succeeded' || e.type === 'run-failed')),
      );
      return ends.every((e) => e !== undefined) ? (ends as RunEvent[]) : undefined;
    });
  }

  /** Waits until no work is left: nothing pending or unread in the supervisors' groups and the domains' runners. */
  async quiet(domains: readonly string[] = ['default']): Promise<void> {
    const idle = async (stream: string, group: string): Promise<boolean> => {
      const groups = (await this.ctx.redis.xinfo('GROUPS', stream)) as Array<Array<string | number>>;
      const g = groups.find((row) => row[row.indexOf('name') + 1] === group);
      return !!g && Number(g[g.indexOf('pending') + 1]) === 0 && Number(g[g.indexOf('lag') + 1]) === 0;
    };
    await eventually(async () => {
      const all = await Promise.all([
        ...this.keys.partitionKeys.flatMap((p) => [
          idle(p.workflows, GROUPS.supervisor),
          idle(p.acks, GROUPS.supervisor),
        ]),
        ...domains.map((d) => idle(this.keys.assignments(d), GROUPS.runners)),
      ]);
      return all.every(Boolean) ? true : undefined;
    });
  }

  async metrics(p: ServiceProcess): Promise<string> {
    return (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop('SIGTERM')));
  }
}

/**
 * A fresh test context and mesh harness for each test (its own key prefix), stopped and cleaned after it.
 * Read `ctx` and `mesh` inside tests.
 */
export function useMesh(
  label: string,
  options: MeshHarnessOptions = {},
): { readonly ctx: RedisTestContext; readonly mesh: MeshHarness } {
  let ctx: RedisTestContext;
  let mesh: MeshHarness;
  beforeEach(() => {
    ctx = createRedisTestContext(label);
    mesh = new MeshHarness(ctx, options);
  });
  afterEach(async () => {
    await mesh.stopAll();
    await ctx.cleanup();
  });
  return {
    get ctx() {
      return ctx;
    },
    get mesh() {
      return mesh;
    },
  };
}

/** The value of one series in an exposition (0 when absent). */
export function sample(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
