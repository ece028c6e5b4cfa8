import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { MeshClient } from '@mesh/client';
import { MeshHarness } from '@mesh/mesh-harness';
import { createRedisClient, keySlot, spreadPipeline, type Redis } from '@mesh/mesh-protocol';
import { eventually, RedisCluster, type RedisTestContext, type ServiceProcess } from '@mesh/testing';

/*
 * The whole mesh, as built processes, on a real Redis Cluster of its own: three masters with a replica each
 * (redis-server --cluster-enabled yes, joined by redis-cli --cluster create). Every service is given
 * REDIS_CLUSTER_NODES and spreads its shared keys over 8 partitions. Runs go through the orchestrator's API.
 */

const PARTITIONS = 8;
const execFileAsync = promisify(execFile);
/** Each test's own budget on a loaded 2-core machine (a passing test never waits for it). */
const BUDGET_MS = Number(process.env['MESH_CLUSTER_TEST_BUDGET_MS'] ?? 120_000);
jest.setTimeout(BUDGET_MS + 60_000);

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000 });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

/** A test context over the cluster: its own prefix, a cluster-aware client; the cluster goes with the file. */
function clusterContext(label: string): RedisTestContext {
  const prefix = `test:${label}-${randomBytes(4).toString('hex')}`;
  const url = `redis://${cluster.nodes[0]}`;
  const opened: Redis[] = [];
  const connect = (name = 'test'): Redis => {
    const client = createRedisClient(
      { url, clusterNodes: cluster.nodes },
      // The test's own client waits out a failover instead of failing its reads.
      { connectionName: `${prefix}:${name}`, enableOfflineQueue: true },
    );
    opened.push(client);
    return client;
  };
  const redis = connect('main');
  return {
    prefix,
    url,
    redis,
    connect,
    async cleanup() {
      for (const client of opened) client.disconnect();
    },
  };
}

let ctx: RedisTestContext;
let mesh: MeshHarness;
beforeEach(() => {
  ctx = clusterContext('cluster');
  mesh = new MeshHarness(ctx, {
    partitions: PARTITIONS,
    env: { REDIS_CLUSTER_NODES: cluster.nodesSetting, REDIS_TIMEOUT_MS: '3000' },
  });
});
afterEach(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
});

/** A fan-out and fan-in of `width` sleeping tasks: start → w0…w(n-1) → join. */
const fan = (i: number, width: number, ms: number) => ({
  workflow: 'fan',
  tenant: `tenant-${i % 3}`,
  tasks: [
    { id: 'start', kind: 'echo', payload: { i } },
    ...Array.from({ length: width }, (_, w) => ({ id: `w${w}`, kind: 'sleep', payload: { ms }, dependsOn: ['start'] })),
    { id: 'join', kind: 'echo', dependsOn: Array.from({ length: width }, (_, w) => `w${w}`) },
  ],
});

async function startMesh(
  runners: number,
): Promise<{ client: MeshClient; orchestrator: ServiceProcess; runners: ServiceProcess[] }> {
  const orchestrator = await mesh.orchestrator('o1');
  await mesh.supervisor('s1');
  await mesh.supervisor('s2');
  const started: ServiceProcess[] = [];
  for (let i = 0; i < runners; i++)
    started.push(await mesh.runner(`r${i}`, 'default', { RUNNER_CONCURRENCY: '8', RUNNER_CLAIM_IDLE_MS: '1500' }));
  return {
    client: new MeshClient({ baseUrl: `http://127.0.0.1:${orchestrator.port}` }),
    orchestrator,
    runners: started,
  };
}

/** Submits `n` fan-outs of 3 tasks of 300 ms at once; resolves with their run ids. */
async function submitFans(client: MeshClient, from: number, n: number): Promise<string[]> {
  const accepted = await Promise.all(Array.from({ length: n }, (_, i) => client.submit(fan(from + i, 3, 300))));
  return accepted.map((a) => a.runId);
}

/** Resolves once a task of one of the runs is running: the runs are in flight. */
async function inFlight(client: MeshClient, runIds: readonly string[]): Promise<void> {
  await eventually(async () => {
    const runs = await Promise.all(runIds.map((id) => client.get('fan', id)));
    return runs.some((r) => r.tasks.some((task) => task.status === 'running')) ? true : undefined;
  });
}

/** Every run's record, once each has ended: its status and its tasks' statuses. */
async function outcomes(client: MeshClient, runIds: readonly string[]): Promise<string[]> {
  return Promise.all(
    runIds.map(async (runId) => {
      const r = await client.get('fan', runId);
      const tasks = new Set(r.tasks.map((task) => task.status));
      return `${r.status}:${[...tasks].join(',')}`;
    }),
  );
}

/** Moves `slots` slots (the lowest first) from the master at `from` to the one at `to`, keys and all. */
async function reshard(from: string, to: string, slots: number): Promise<void> {
  const idOf = async (address: string): Promise<string> => {
    const at = address.lastIndexOf(':');
    const admin = new IORedis(Number(address.slice(at + 1)), address.slice(0, at), { maxRetriesPerRequest: 0 });
    admin.on('error', () => undefined);
    try {
      return String(await admin.call('CLUSTER', 'MYID'));
    } finally {
      admin.disconnect();
    }
  };
  const args = ['--cluster', 'reshard', from, '--cluster-from', await idOf(from), '--cluster-to', await idOf(to)];
  await execFileAsync('redis-cli', [...args, '--cluster-slots', String(slots), '--cluster-yes'], {
    timeout: BUDGET_MS,
  });
}

/**
 * SIGKILLs the master at `address` once its replica has everything it acknowledged: writes are paused
 * (CLIENT PAUSE WRITE; clients wait) until the replica's offset reaches the master's. Redis replicates
 * asynchronously, so a master killed at any other moment may take its last acknowledged writes with it
 * (docs/scaling.md#redis-cluster); this is the crash that Redis itself promises to survive.
 */
async function killInSync(address: string): Promise<void> {
  const at = address.lastIndexOf(':');
  const admin = new IORedis(Number(address.slice(at + 1)), address.slice(0, at), { maxRetriesPerRequest: 0 });
  admin.on('error', () => undefined);
  try {
    await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
    const info = async (): Promise<string> => String(await admin.call('INFO', 'replication'));
    const offset = Number(/master_repl_offset:(\d+)/.exec(await info())?.[1]);
    await eventually(async () => {
      const replicas = [...(await info()).matchAll(/slave\d+:.*offset=(\d+)/g)].map((m) => Number(m[1]));
      return replicas.some((o) => o >= offset) ? true : undefined;
    });
  } finally {
    admin.disconnect();
  }
  await cluster.kill(address);
}

describe('the mesh on a Redis Cluster', () => {
  it('when runs are submitted, the partitions spread over every master, the settings of each master are checked, and each run ends succeeded, followed live and listed', async () => {
    const { client, orchestrator } = await startMesh(1);
    const masters = new Set(await Promise.all(mesh.keys.partitionKeys.map((p) => cluster.masterOf(p.workflows))));
    expect(masters.size).toBe(3);
    // Each master's settings are checked: none keeps anything across a restart here, and each is named.
    const warned = await eventually(() => {
      const nodes = orchestrator.records
        .filter((r) => String(r['msg']).startsWith('Redis keeps nothing across a restart'))
        .map((r) => String(r['node']));
      return nodes.length === 3 ? nodes : undefined;
    });
    expect(new Set(warned)).toEqual(masters);
    // Every key of a partition shares its slot: a partition's work never crosses shards.
    for (const p of mesh.keys.partitionKeys)
      expect(new Set([p.workflows, p.acks, p.runEvents, p.schedule].map(keySlot)).size).toBe(1);

    const first = await client.submit(fan(0, 4, 5));
    const followed: string[] = [];
    const following = (async () => {
      for await (const e of client.follow('fan', first.runId)) {
        followed.push(e.type);
        if (e.type === 'end') return;
      }
    })();
    following.catch(() => undefined); // awaited below; a failure shows there
    const rest = await Promise.all(Array.from({ length: 15 }, (_, i) => client.submit(fan(i + 1, 4, 5))));
    const runIds = [first.runId, ...rest.map((a) => a.runId)];
    await mesh.allEnded(runIds, BUDGET_MS);
    expect(await outcomes(client, runIds)).toEqual(runIds.map(() => 'succeeded:succeeded'));
    await following;
    expect([followed[0], followed.at(-1)]).toEqual(['snapshot', 'end']);
    const listed = await client.list({ workflow: 'fan', limit: 100 });
    expect(listed.runs.map((r) => r.runId).sort()).toEqual([...runIds].sort());
  });

  it('when a runner is SIGKILLed with work in flight, the other takes its tasks over and every run ends succeeded', async () => {
    const { client, runners } = await startMesh(2);
    const runIds = (await Promise.all(Array.from({ length: 8 }, (_, i) => client.submit(fan(i, 4, 300))))).map(
      (a) => a.runId,
    );
    // Both runners hold work, then one dies without a word.
    await eventually(async () => {
      const running = await Promise.all(runIds.map((id) => client.get('fan', id)));
      const holders = new Set(
        running.flatMap((r) => r.tasks.filter((t) => t.status === 'running').map((t) => t.runnerId)),
      );
      return holders.has('r0') ? true : undefined;
    });
    expect((await runners[0]?.stop('SIGKILL')) ?? null).toBeNull();
    await mesh.allEnded(runIds, BUDGET_MS);
    expect(await outcomes(client, runIds)).toEqual(runIds.map(() => 'succeeded:succeeded'));
  });

  it('when slots move between masters mid-work (redis-cli --cluster reshard), every run ends succeeded', async () => {
    const { client } = await startMesh(2);
    const before = await submitFans(client, 0, 10);
    await inFlight(client, before);
    // The slots of the first partition's master, moved to another master while the runs go on.
    const from = await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '');
    const to = await cluster.masterOf(mesh.keys.partitionKeys[4]?.workflows ?? '');
    expect(to).not.toBe(from);
    const during = submitFans(client, 100, 5);
    await reshard(from, to, 2000);
    const runIds = [...before, ...(await during), ...(await submitFans(client, 200, 5))];
    await mesh.allEnded(runIds, BUDGET_MS);
    expect(await outcomes(client, runIds)).toEqual(runIds.map(() => 'succeeded:succeeded'));
    // Partition 0's slot moved with the rest (its first 2000 slots include slot 1099).
    expect(await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '')).toBe(to);
  });

  it('when a master fails over to its replica mid-work, nothing is lost: every run accepted before, during and after ends succeeded', async () => {
    const { client } = await startMesh(2);
    const before = await submitFans(client, 0, 10);
    // The failover comes while those runs are in flight.
    await inFlight(client, before);
    // The master of the first partition's keys (and of those of every run in its slots).
    const master = await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '');
    const failingOver = cluster.failover(master);
    // Submissions during the failover may be refused (503): retried with their Idempotency-Key, as a user would.
    const during: string[] = [];
    for (let i = 0; i < 5; i++) {
      const idempotencyKey = `during-${i}-${ctx.prefix}`;
      during.push(
        await eventually(async () => {
          try {
            return (await client.submit(fan(100 + i, 3, 300), { idempotencyKey })).runId;
          } catch {
            return undefined;
          }
        }),
      );
    }
    const promoted = await failingOver;
    expect(promoted).not.toBe(master);
    expect(await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '')).toBe(promoted);
    const after = await submitFans(client, 200, 5);
    const runIds = [...before, ...during, ...after];
    await mesh.allEnded(runIds, BUDGET_MS);
    expect(await outcomes(client, runIds)).toEqual(runIds.map(() => 'succeeded:succeeded'));
  });

  it('when a master whose replica has all its writes is killed (SIGKILL) mid-work, the replica takes over and every run accepted before and after ends succeeded', async () => {
    const { client } = await startMesh(2);
    const before = await submitFans(client, 0, 10);
    await inFlight(client, before);
    const master = await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '');
    await killInSync(master);
    const promoted = await eventually(async () => {
      try {
        const now = await cluster.masterOf(mesh.keys.partitionKeys[0]?.workflows ?? '');
        return now !== master ? now : undefined;
      } catch {
        return undefined;
      }
    });
    expect(promoted).not.toBe(master);
    const after = await eventually(async () => {
      try {
        return await submitFans(client, 200, 5);
      } catch {
        return undefined;
      }
    });
    const runIds = [...before, ...after];
    await mesh.allEnded(runIds, BUDGET_MS);
    expect(await outcomes(client, runIds)).toEqual(runIds.map(() => 'succeeded:succeeded'));
  });
});

describe('the cluster client', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  const client = (nodes: readonly string[]): Redis => {
    const c = createRedisClient({ url: 'redis://unused', clusterNodes: nodes }, { connectionName: 'client-test' });
    clients.push(c);
    return c;
  };

  it('when one seed node does not resolve, the client connects through the others', async () => {
    const redis = client(['no-such-node.invalid:6379', ...cluster.nodes]);
    const key = `test:seeds-${randomBytes(4).toString('hex')}`;
    await eventually(async () => ((await redis.set(key, 'v').catch(() => undefined)) === 'OK' ? true : undefined));
    expect(await redis.get(key)).toBe('v');
    await redis.del(key);
  });

  it('when a spread pipeline holds keys of every master and a failing command, each reply comes back in its place', async () => {
    const redis = client(cluster.nodes);
    await eventually(async () => ((await redis.ping().catch(() => undefined)) === 'PONG' ? true : undefined));
    const tag = randomBytes(4).toString('hex');
    // Keys on every master: the partitions' tags are spread over the slots.
    const keys = mesh.keys.partitionKeys.map(
      (p) => `test:spread-${tag}:${p.workflows.slice(p.workflows.indexOf('{'))}`,
    );
    expect(new Set(await Promise.all(keys.map((k) => cluster.masterOf(k)))).size).toBe(3);
    const pipeline = spreadPipeline(redis);
    keys.forEach((k, i) => pipeline.set(k, String(i)));
    pipeline.hget(keys[0] ?? '', 'field'); // a string: WRONGTYPE
    keys.forEach((k) => pipeline.get(k));
    const replies = (await pipeline.exec()) ?? [];
    expect(replies.slice(0, keys.length)).toEqual(keys.map(() => [null, 'OK']));
    expect(String(replies[keys.length]?.[0])).toMatch(/WRONGTYPE/);
    expect(replies.slice(keys.length + 1)).toEqual(keys.map((_, i) => [null, String(i)]));
    for (const k of keys) await redis.del(k);
  });

  it('when REDIS_URL names a user and password, every master is reached with them, and a wrong password writes nothing', async () => {
    const user = `mesh-${randomBytes(4).toString('hex')}`;
    const password = 'p@ss/w%rd#1';
    // ACL users are per node: made on every live node, and removed again.
    const onEachNode = async (...args: string[]) => {
      for (const address of cluster.nodes) {
        const at = address.lastIndexOf(':');
        const admin = new IORedis(Number(address.slice(at + 1)), address.slice(0, at), {
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        admin.on('error', () => undefined);
        await admin.call('ACL', ...args).catch(() => undefined); // a node killed by an earlier test
        admin.disconnect();
      }
    };
    await onEachNode('SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all');
    try {
      const url = (secret: string) => `redis://${user}:${encodeURIComponent(secret)}@unused:6379`;
      const good = createRedisClient({ url: url(password), clusterNodes: cluster.nodes }, { connectionName: 'acl' });
      const bad = createRedisClient({ url: url('wrong'), clusterNodes: cluster.nodes }, { connectionName: 'acl' });
      clients.push(good, bad);
      const tag = randomBytes(4).toString('hex');
      const keys = mesh.keys.partitionKeys.map((p) => `test:acl-${tag}:${p.workflows.slice(p.workflows.indexOf('{'))}`);
      await eventually(async () =>
        (await good.set(keys[0] ?? '', 'x').catch(() => undefined)) === 'OK' ? true : undefined,
      );
      for (const k of keys) expect(await good.set(k, 'v')).toBe('OK');
      expect(new Set(await Promise.all(keys.map((k) => cluster.masterOf(k)))).size).toBe(3);
      await expect(bad.set(`test:acl-${tag}:bad`, 'v')).rejects.toThrow();
      expect(await good.exists(`test:acl-${tag}:bad`)).toBe(0);
      for (const k of keys) await good.del(k);
    } finally {
      await onEachNode('DELUSER', user);
    }
  });
});
