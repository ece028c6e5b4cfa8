import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '@mesh/logging';
import { createOrchestratorMetrics } from '@mesh/metrics-schema';
import { createKeys, decodeEntry, pingRedis, type MeshKeys, type Redis, type Submission } from '@mesh/mesh-protocol';
import { RunIndex, RunState } from '@mesh/run-state';
import { TEST_DEADLINE_MS, type RedisTestContext } from '@mesh/testing';
import { Admission } from '../../src/admission/admission';
import { createApp } from '../../src/app';
import { ApiTokens, type TokenEntry } from '../../src/auth/api-tokens';
import { RunnerHardware } from '../../src/hardware/runner-hardware';
import { SubmissionService } from '../../src/submissions/submission-service';
import { DataEpoch } from '../../src/runs/data-epoch';

export const silentLogger: Logger = createLogger({
  service: 'orchestrator',
  destination: new Writable({ write: (_c, _e, done) => done() }),
});

export interface BuildOptions {
  /** The admin token (MESH_API_TOKEN). */
  token?: string;
  /** Tenant tokens (MESH_API_TOKENS). */
  tenantTokens?: readonly TokenEntry[];
  bodyLimitBytes?: number;
  redis?: Redis;
  redisTimeoutMs?: number;
  maxQueuedRuns?: number;
  maxQueuedRunsPerTenant?: number;
  /** Stands in for the runner-hardware refresh (e.g. to fail at the moment it is called). */
  refreshHardware?: (refresh: () => Promise<void>) => Promise<void>;
  logger?: Logger;
}

/** An orchestrator app on the test's own key prefix, wired as main.ts wires it. */
export function buildOrchestrator(ctx: RedisTestContext, opts: BuildOptions = {}) {
  const keys: MeshKeys = createKeys(ctx.prefix);
  const redis = opts.redis ?? ctx.redis;
  const registry = new Registry();
  const metrics = createOrchestratorMetrics(registry);
  const state = new RunState(redis, keys, { finishedTtlMs: 60_000 });
  const index = new RunIndex(redis, keys, 60_000);
  const hardware = new RunnerHardware({ redis, keys, refreshMs: 0, logger: silentLogger });
  if (opts.refreshHardware) {
    const refresh = hardware.refresh.bind(hardware);
    const wrap = opts.refreshHardware;
    hardware.refresh = () => wrap(refresh);
  }
  // Each submission one millisecond after the last, so newest-first order is the order of submission.
  let clock = Date.now();
  const submissions = new SubmissionService({
    redis,
    keys,
    state,
    index,
    hardware,
    metrics,
    idempotencyTtlMs: 60_000,
    redisTimeoutMs: opts.redisTimeoutMs ?? TEST_DEADLINE_MS,
    now: () => clock++,
    admission: new Admission({
      redis,
      keys,
      maxQueuedRuns: opts.maxQueuedRuns ?? 10_000,
      maxQueuedRunsPerTenant: opts.maxQueuedRunsPerTenant ?? 1000,
      recheckMs: 0,
    }),
  });
  const app = createApp({
    registry,
    metrics,
    logger: opts.logger ?? silentLogger,
    redisReady: () => pingRedis(redis, 200),
    submissions,
    state,
    index,
    epoch: new DataEpoch(redis, keys),
    tokens: new ApiTokens([
      ...(opts.token ? [{ token: opts.token, principal: { kind: 'admin' as const } }] : []),
      ...(opts.tenantTokens ?? []),
    ]),
    bodyLimitBytes: opts.bodyLimitBytes ?? 1024 * 1024,
    redisTimeoutMs: opts.redisTimeoutMs ?? TEST_DEADLINE_MS,
  });
  return { app, registry, state, keys, submissions };
}

/** The submissions on the test's mesh:workflows, oldest first. */
export async function queuedSubmissions(ctx: RedisTestContext, keys: MeshKeys): Promise<Submission[]> {
  return (await ctx.redis.xrange(keys.workflows, '-', '+')).map(([, f]) => {
    const d = decodeEntry('submission', f);
    if (!d.ok) throw new Error(d.detail);
    return d.message;
  });
}

/** A valid two-task submission, with fields replaced by `over`. */
export const workflowBody = (over: Record<string, unknown> = {}) => ({
  workflow: 'etl',
  tenant: 'acme',
  tasks: [
    { id: 'extract', kind: 'echo', payload: { t: 1 } },
    { id: 'load', kind: 'sleep', payload: { ms: 5 }, dependsOn: ['extract'], retries: 2 },
  ],
  ...over,
});
