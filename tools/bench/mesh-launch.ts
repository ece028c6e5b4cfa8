import { createServer, type AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { DEFAULT_DOMAIN, SERVICE_SETTINGS, SHARED_SETTINGS, type ServiceName } from '@mesh/config';
import { createKeys, createRedisClient } from '@mesh/mesh-protocol';
import { spawnService, type SpawnedService } from '@mesh/process-kit';

/** How the benchmark's mesh is set up. */
export interface MeshLaunchOptions {
  readonly root: string;
  readonly redisUrl: string;
  readonly prefix: string;
  readonly runnerConcurrency: number;
  /** ORCHESTRATOR_BODY_LIMIT_BYTES, when the default 1 MiB is too small for the fan-out. */
  readonly bodyLimitBytes?: number;
  /** How many env runners (default RUNNER_COUNT) and supervisors (default 1); meshPorts() must get the same. */
  readonly counts?: MeshCounts;
  /** REDIS_CLUSTER_NODES (`host:port` each): the mesh runs on that Redis Cluster; `redisUrl` then gives only the scheme. */
  readonly clusterNodes?: readonly string[];
  /** MESH_PARTITIONS, when given (else the services' default: 1, or 8 with a cluster). */
  readonly partitions?: number;
}

/** How many of each scaled service a mesh runs. */
export interface MeshCounts {
  readonly runners: number;
  readonly supervisors: number;
}

/** The orchestrator, the supervisor(s) and the env runners of one domain, built, started and ready. */
export interface RunningMesh {
  /** The orchestrator's base URL. */
  readonly api: string;
  readonly services: ReadonlyArray<{
    readonly name: string;
    readonly app: ServiceName;
    readonly service: SpawnedService;
  }>;
  /** Resolves once each service answers /readyz and every runner has registered. */
  ready(): Promise<void>;
  /** Races `work` against any service exiting on its own. */
  guard<T>(work: Promise<T>): Promise<T>;
  /** SIGTERM to each (SIGKILL after 5 s); resolves once all have exited. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const CHECK_EVERY_MS = 50;
export const RUNNER_COUNT = 2;
const DEFAULT_COUNTS: MeshCounts = { runners: RUNNER_COUNT, supervisors: 1 };

/** A port of 127.0.0.1 that was free a moment ago (the OS picked it for a listener, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
  }
}

/** Free ports for the orchestrator, each supervisor and each runner. */
export async function meshPorts(counts: MeshCounts = DEFAULT_COUNTS): Promise<number[]> {
  return Promise.all(Array.from({ length: 1 + counts.supervisors + counts.runners }, freePort));
}

/**
 * Starts the built services (`dist/apps/<app>/main.js`) on a private stream prefix, on `ports` from
 * meshPorts(); `ready()` says when they can take work.
 */
export function launchMesh(o: MeshLaunchOptions, ports: readonly number[]): RunningMesh {
  const counts = o.counts ?? DEFAULT_COUNTS;
  if (ports.length !== 1 + counts.supervisors + counts.runners)
    throw new Error(
      `launchMesh: ${ports.length} ports for 1 orchestrator, ${counts.supervisors} supervisors and ${counts.runners} runners`,
    );
  const [orchestratorPort, ...rest] = ports;
  const supervisorPorts = rest.slice(0, counts.supervisors);
  const runnerPorts = rest.slice(counts.supervisors);
  // One supervisor keeps the names earlier reports used.
  const supervisorName = (i: number, sep: string): string => (counts.supervisors === 1 ? '' : `${sep}${i + 1}`);
  const common: Record<string, string | undefined> = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    [SHARED_SETTINGS.redis.env]: o.redisUrl,
    [SHARED_SETTINGS.streamPrefix.env]: o.prefix,
    [SHARED_SETTINGS.logLevel.env]: 'warn',
    ...(o.clusterNodes ? { [SHARED_SETTINGS.redisClusterNodes.env]: o.clusterNodes.join(',') } : {}),
    ...(o.partitions !== undefined ? { [SHARED_SETTINGS.partitions.env]: String(o.partitions) } : {}),
  };
  const specs: Array<{ name: string; app: ServiceName; port: number; env: Record<string, string> }> = [
    ...supervisorPorts.map((port, i) => ({
      name: `supervisor${supervisorName(i, ' ')}`,
      app: 'supervisor' as const,
      port,
      env: {
        [SERVICE_SETTINGS.supervisor.listen.env]: `127.0.0.1:${port}`,
        [SERVICE_SETTINGS.supervisor.supervisorId.env]: `bench-supervisor${supervisorName(i, '-')}`,
      },
    })),
    ...runnerPorts.map((port, i) => ({
      name: `env-runner ${i + 1}`,
      app: 'env-runner' as const,
      port,
      env: {
        [SERVICE_SETTINGS['env-runner'].listen.env]: `127.0.0.1:${port}`,
        [SERVICE_SETTINGS['env-runner'].runnerId.env]: `bench-runner-${i + 1}`,
        [SERVICE_SETTINGS['env-runner'].domain.env]: DEFAULT_DOMAIN,
        // Settings of the env runner's own config (apps/env-runner/src/config.ts).
        RUNNER_CONCURRENCY: String(o.runnerConcurrency),
        // Detect hardware once at start, not again in the middle of a phase.
        RUNNER_HARDWARE_INTERVAL_MS: '0',
        RUNNER_SHUTDOWN_GRACE_MS: '2000',
      },
    })),
    {
      name: 'orchestrator',
      app: 'orchestrator',
      port: orchestratorPort as number,
      env: {
        [SERVICE_SETTINGS.orchestrator.listen.env]: `127.0.0.1:${orchestratorPort}`,
        [SERVICE_SETTINGS.orchestrator.orchestratorId.env]: 'bench-orchestrator',
        ...(o.bodyLimitBytes ? { ORCHESTRATOR_BODY_LIMIT_BYTES: String(o.bodyLimitBytes) } : {}),
      },
    },
  ];

  let stopping = false;
  const services = specs.map((s) => ({
    name: s.name,
    app: s.app,
    port: s.port,
    service: spawnService({ root: o.root, app: s.app, env: { ...common, ...s.env }, detached: true }),
  }));
  const died = new Promise<never>((_, reject) => {
    for (const { name, service } of services) {
      void service.exited.then(({ code, signal, error }) => {
        if (!stopping)
          reject(
            new Error(`${name} exited (${error?.message ?? signal ?? code}); stderr: ${service.stderr().slice(-2000)}`),
          );
      });
    }
  });
  died.catch(() => undefined);
  const guard = <T>(work: Promise<T>): Promise<T> => Promise.race([work, died]);
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      services.map(async ({ service }) => {
        const timer = setTimeout(() => void service.stop('SIGKILL'), 5000);
        await service.stop();
        clearTimeout(timer);
      }),
    );
  };

  const ready = async (): Promise<void> => {
    await guard(
      Promise.all(
        services.map(({ name, port }) =>
          until(`${name} did not answer /readyz`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok),
        ),
      ),
    );
    const redis = o.clusterNodes
      ? createRedisClient({ url: o.redisUrl, clusterNodes: o.clusterNodes }, { connectionName: 'bench:ready' })
      : new Redis(o.redisUrl, { protocol: 2, maxRetriesPerRequest: 1 });
    try {
      const runners = createKeys(o.prefix).runners;
      await guard(
        until(
          `${counts.runners} runners did not register in ${runners}`,
          async () => (await redis.hlen(runners)) >= counts.runners,
        ),
      );
    } finally {
      redis.disconnect();
    }
  };
  return { api: `http://127.0.0.1:${orchestratorPort}`, services, ready, guard, stop };
}
