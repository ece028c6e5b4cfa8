import { BenchUsageError, parseOptions } from './options';

describe('parseOptions', () => {
  it('when nothing is given, the defaults are the ones DESIGN budgets against', () => {
    expect(parseOptions([], {}, '/ws')).toMatchObject({
      tasks: 10_000,
      latencyRuns: 200,
      warmupTasks: 500,
      bullmqConcurrency: 50,
      runnerConcurrency: 256,
      out: '/ws/dist/bench/report.json',
      redisUrl: 'redis://127.0.0.1:6379',
      skipBullmq: false,
    });
  });

  it('when REDIS_URL is set and --redis-url is not, REDIS_URL is used', () => {
    expect(parseOptions([], { REDIS_URL: 'redis://other:6380' }, '/ws').redisUrl).toBe('redis://other:6380');
  });

  it('when several values are bad, one error names each of them', () => {
    let error: unknown;
    try {
      parseOptions(['--tasks', '0', '--latency-runs', 'x'], {}, '/ws');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BenchUsageError);
    expect((error as BenchUsageError).problems).toEqual([
      '--tasks: "0" is not an integer from 1 to 1000000',
      '--latency-runs: "x" is not an integer from 1 to 100000',
    ]);
  });

  it('when an option is unknown, it is refused', () => {
    expect(() => parseOptions(['--taks', '5'], {}, '/ws')).toThrow(BenchUsageError);
  });
});
