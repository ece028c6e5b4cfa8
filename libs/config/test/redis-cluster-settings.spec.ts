import { DEFAULT_CLUSTER_PARTITIONS, loadConfig, partitionsOf, SHARED_SETTINGS } from '../src';
import { problemsOf } from './problems';

describe('Redis Cluster settings', () => {
  it('when REDIS_CLUSTER_NODES is unset, the Redis is one server and there is one partition', () => {
    const config = loadConfig(SHARED_SETTINGS, { env: {} });
    expect(config.redis.clusterNodes).toBeUndefined();
    expect(partitionsOf(config)).toBe(1);
  });

  it('when REDIS_CLUSTER_NODES is set, the Redis target carries the nodes, the URL keeps the credentials, and partitions default to the cluster default', () => {
    const config = loadConfig(SHARED_SETTINGS, {
      env: {
        REDIS_URL: 'rediss://mesh@redis:6379',
        REDIS_PASSWORD: 'p@ss/word',
        REDIS_CLUSTER_NODES: 'redis-0.redis:6379, redis-1.redis:6379,[fd00::1]:7000',
      },
    });
    expect(config.redis.clusterNodes).toEqual(['redis-0.redis:6379', 'redis-1.redis:6379', '[fd00::1]:7000']);
    expect(config.redis.password).toBe('p@ss/word');
    expect(config.redis.tls).toBe(true);
    expect(config.redis.display).toBe(
      'rediss://mesh:***@redis:6379 (cluster: redis-0.redis:6379,redis-1.redis:6379,[fd00::1]:7000)',
    );
    expect(partitionsOf(config)).toBe(DEFAULT_CLUSTER_PARTITIONS);
  });

  it('when MESH_PARTITIONS is set, it wins over either default', () => {
    expect(partitionsOf(loadConfig(SHARED_SETTINGS, { env: { MESH_PARTITIONS: '4' } }))).toBe(4);
    const cluster = loadConfig(SHARED_SETTINGS, { env: { MESH_PARTITIONS: '2', REDIS_CLUSTER_NODES: 'a:1' } });
    expect(partitionsOf(cluster)).toBe(2);
  });

  it('when a node is not host:port or MESH_PARTITIONS is out of range, start-up is refused naming each', () => {
    const problems = problemsOf(() =>
      loadConfig(SHARED_SETTINGS, { env: { REDIS_CLUSTER_NODES: 'redis-0:6379,redis://x:1', MESH_PARTITIONS: '65' } }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES: entry 2 \("redis:\/\/x:1"\) is not host:port/),
      expect.stringMatching(/^MESH_PARTITIONS: /),
    ]);
    expect(problemsOf(() => loadConfig(SHARED_SETTINGS, { env: { REDIS_CLUSTER_NODES: 'a:70000' } }))).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES: entry 1/),
    ]);
    expect(problemsOf(() => loadConfig(SHARED_SETTINGS, { env: { REDIS_CLUSTER_NODES: 'a:1,,b:2' } }))).toEqual([
      'REDIS_CLUSTER_NODES: entry 2 is empty',
    ]);
  });

  it('when REDIS_URL names a database other than 0 with a cluster, start-up is refused in one line naming REDIS_URL, never the password', () => {
    const problems = problemsOf(() =>
      loadConfig(SHARED_SETTINGS, {
        env: { REDIS_URL: 'redis://:hunter2@redis:6379/3', REDIS_CLUSTER_NODES: 'redis-0:6379' },
      }),
    );
    expect(problems).toEqual([
      'REDIS_URL: database 3 is not available with REDIS_CLUSTER_NODES (a Redis Cluster has only database 0)',
    ]);
    expect(problems.join('')).not.toContain('hunter2');
  });
});
