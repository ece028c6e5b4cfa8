import { Cluster } from 'ioredis';
import { eventually, RedisCluster } from '../src';
import { answers } from '../src/private-redis';

/** How long each step (start, failover, a read after it) may wait; MESH_TEST_CLUSTER_STEP_MS overrides it. */
const STEP_MS = Number(process.env['MESH_TEST_CLUSTER_STEP_MS'] ?? 15_000);
/** Above the steps a test waits on, so a slow step fails with its own message first. */
const JEST_MS = 4 * STEP_MS;

/** Whether anything answers PING at `address` now (one try). */
const answersAt = (address: string): Promise<boolean> => answers(`redis://${address}`);

describe('RedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  /** One key per master: `keys[i]` lands on a different master than `keys[j]`. */
  const keys: string[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, deadlineMs: STEP_MS });
    client = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => undefined);
  }, JEST_MS);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it(
    'when started, it has 6 nodes, masters first, and a cluster client reads and writes on every master',
    async () => {
      expect(cluster.nodes).toHaveLength(6);
      expect(cluster.nodesSetting).toBe(cluster.nodes.join(','));
      const masters = new Set<string>();
      for (let i = 0; masters.size < 3 && i < 1000; i++) {
        const key = `cluster-spec:key-${i}`;
        const master = await cluster.masterOf(key);
        if (!masters.has(master)) {
          masters.add(master);
          keys.push(key);
        }
      }
      expect([...masters].sort()).toEqual(cluster.nodes.slice(0, 3).sort());
      for (const key of keys) await client.set(key, `value of ${key}`);
      for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
    },
    JEST_MS,
  );

  it(
    'when a master fails over, its replica serves the key and the cluster client follows',
    async () => {
      const key = keys[0]!;
      const former = await cluster.masterOf(key);
      const promoted = await cluster.failover(former);
      expect(promoted).not.toBe(former);
      expect(cluster.nodes.slice(3)).toContain(promoted);
      expect(await cluster.masterOf(key)).toBe(promoted);
      // The client learns the new topology from a MOVED reply or its next slots refresh: wait for it, don't sleep.
      expect(await eventually(() => client.get(key).then((v) => v ?? undefined), STEP_MS)).toBe(`value of ${key}`);
      await eventually(async () => ((await client.set(key, 'after failover')) === 'OK' ? true : undefined), STEP_MS);
      expect(await client.get(key)).toBe('after failover');
    },
    JEST_MS,
  );

  it(
    'when stopped (twice), no node answers any more',
    async () => {
      client.disconnect();
      await cluster.stop();
      await cluster.stop();
      for (const address of cluster.nodes) expect(await answersAt(address)).toBe(false);
    },
    JEST_MS,
  );
});
