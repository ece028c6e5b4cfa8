import { BenchUsageError } from './options';
import { parseScalingOptions, SCALING_USAGE, wantsScaling } from './scaling-options';

describe('wantsScaling', () => {
  it('when --scaling is anywhere on the command line, the scaling mode is chosen', () => {
    expect(wantsScaling(['--tasks', '500', '--scaling'])).toBe(true);
    expect(wantsScaling(['--tasks', '500'])).toBe(false);
  });
});

describe('parseScalingOptions', () => {
  it('when only --scaling is given, the grid is 1, 2, 4 runners × 1, 2 supervisors of 10,000 tasks, once', () => {
    expect(parseScalingOptions(['--scaling'], {}, '/ws')).toEqual({
      tasks: 10_000,
      warmupTasks: 1000,
      runners: [1, 2, 4],
      supervisors: [1, 2],
      rounds: 1,
      idleMs: 2000,
      pollMs: 100,
      out: '/ws/dist/bench/scaling.json',
      redisUrl: 'redis://127.0.0.1:6379',
      runnerConcurrency: 256,
      timeoutMs: 120_000,
      help: false,
    });
  });

  it('when fewer tasks are asked for, the warm-up is no larger than the fan-out', () => {
    expect(parseScalingOptions(['--scaling', '--tasks', '500'], {}, '/ws')).toMatchObject({
      tasks: 500,
      warmupTasks: 500,
    });
  });

  it('when lists are given unsorted and with repeats, each count is measured once, ascending', () => {
    const o = parseScalingOptions(['--scaling', '--runners', '4, 1,2,1', '--supervisors', '3'], {}, '/ws');
    expect(o.runners).toEqual([1, 2, 4]);
    expect(o.supervisors).toEqual([3]);
  });

  it('when REDIS_URL is set and --redis-url is not, REDIS_URL is used', () => {
    expect(parseScalingOptions(['--scaling'], { REDIS_URL: 'redis://other:6380' }, '/ws').redisUrl).toBe(
      'redis://other:6380',
    );
  });

  it('when several values are bad, one error names each of them and shows the scaling usage', () => {
    let error: unknown;
    try {
      parseScalingOptions(['--scaling', '--runners', '0,2,x', '--supervisors', '', '--rounds', '0'], {}, '/ws');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BenchUsageError);
    expect((error as BenchUsageError).problems).toEqual([
      '--runners: "0", "x" are not an integer from 1 to 32',
      '--supervisors: "" is not an integer from 1 to 32',
      '--rounds: "0" is not an integer from 1 to 20',
    ]);
    expect((error as Error).message).toContain(SCALING_USAGE);
  });

  it('when an option of the main benchmark only is given, it is refused', () => {
    expect(() => parseScalingOptions(['--scaling', '--latency-runs', '5'], {}, '/ws')).toThrow(BenchUsageError);
  });
});
