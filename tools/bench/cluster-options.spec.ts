import { BenchUsageError } from './options';
import { CLUSTER_USAGE, parseClusterOptions, wantsCluster } from './cluster-options';

describe('wantsCluster', () => {
  it('when --cluster is anywhere on the command line, the cluster mode is chosen', () => {
    expect(wantsCluster(['--runs', '10', '--cluster'])).toBe(true);
    expect(wantsCluster(['--scaling'])).toBe(false);
  });
});

describe('parseClusterOptions', () => {
  it('when only --cluster is given, 200 runs × 50 tasks run on the standalone Redis and clusters of 1 and 3 masters, once', () => {
    expect(parseClusterOptions(['--cluster'], {}, '/ws')).toEqual({
      runs: 200,
      tasksPerRun: 50,
      warmupRuns: 20,
      masters: [1, 3],
      standalone: true,
      partitions: undefined,
      rounds: 1,
      submitConcurrency: 20,
      pollMs: 500,
      out: '/ws/dist/bench/cluster.json',
      redisUrl: 'redis://127.0.0.1:6379',
      runnerConcurrency: 256,
      timeoutMs: 120_000,
      help: false,
    });
  });

  it('when fewer runs are asked for, the warm-up has no more runs than the measured phase', () => {
    expect(parseClusterOptions(['--cluster', '--runs', '5'], {}, '/ws')).toMatchObject({ runs: 5, warmupRuns: 5 });
  });

  it('when masters are given unsorted and repeated, each cluster is measured once, smallest first', () => {
    const o = parseClusterOptions(
      ['--cluster', '--masters', '6, 3,1,3', '--no-standalone', '--rounds', '3'],
      {},
      '/ws',
    );
    expect(o.masters).toEqual([1, 3, 6]);
    expect(o.standalone).toBe(false);
    expect(o.rounds).toBe(3);
  });

  it('when --partitions and REDIS_URL are given, the clusters get that MESH_PARTITIONS and the standalone that URL', () => {
    const o = parseClusterOptions(['--cluster', '--partitions', '6'], { REDIS_URL: 'redis://r:6380' }, '/ws');
    expect(o.partitions).toBe(6);
    expect(o.redisUrl).toBe('redis://r:6380');
  });

  it('when a cluster of 2 masters, a zero or a word is asked for, every problem is named in one error', () => {
    let caught: unknown;
    try {
      parseClusterOptions(['--cluster', '--masters', '2,0,x', '--runs', '0', '--timeout-s', 'soon'], {}, '/ws');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BenchUsageError);
    const problems = (caught as BenchUsageError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('"2", "0", "x" are not 1 or an integer from 3 to 16');
    expect(problems[1]).toContain('--runs: "0"');
    expect(problems[2]).toContain('--timeout-s: "soon"');
    expect((caught as Error).message).toContain(CLUSTER_USAGE);
  });

  it('when an unknown option is given, the error shows the cluster usage', () => {
    expect(() => parseClusterOptions(['--cluster', '--tasks', '5'], {}, '/ws')).toThrow(/--tasks-per-run N/);
  });
});
