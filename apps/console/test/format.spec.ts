import { listQuery, NO_FILTERS } from '../src/filters';
import { formatCpu, formatDuration, formatGpus, formatOutput, oneLine, taskDuration } from '../src/format';
import { parseRoute, runHref } from '../src/route';

describe('formatting for the console', () => {
  it('when durations grow, they read in ms, s, min and h', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.23 s');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_380_000)).toBe('2 h 03 min');
    expect(formatDuration(-1)).toBe('');
  });

  it('when a task runs, its duration counts to now; before it started there is none', () => {
    expect(taskDuration({ startedAt: 1000 }, 3500)).toBe(2500);
    expect(taskDuration({ startedAt: 1000, finishedAt: 1200 }, 3500)).toBe(200);
    expect(taskDuration({}, 3500)).toBeUndefined();
  });

  it('when a runner has GPUs, they are counted by model, and its CPU names its cores', () => {
    const hw = {
      cpu: { vendor: 'AMD', model: 'EPYC 7763', logicalCores: 16 },
      gpus: [
        { index: 0, vendor: 'NVIDIA', model: 'H100' },
        { index: 1, vendor: 'NVIDIA', model: 'H100' },
      ],
    };
    expect(formatGpus(hw)).toBe('2 × NVIDIA H100');
    expect(formatCpu(hw)).toBe('AMD EPYC 7763 (16 cores)');
    expect(formatGpus({ gpus: [] })).toBe('no GPU');
    expect(formatCpu({ cpu: null })).toBe('');
  });

  it('when an output is markup, it stays the same characters (shown as text, never parsed)', () => {
    expect(formatOutput('<script>alert(1)</script>')).toBe('<script>alert(1)</script>');
    expect(formatOutput({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(formatOutput(undefined)).toBe('');
    expect(oneLine('a\n  b', 80)).toBe('a b');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('the hash routes', () => {
  it('when a hash names a run or a task of it, the route says which, names decoded', () => {
    expect(parseRoute('')).toEqual({ page: 'runs' });
    expect(parseRoute('#/')).toEqual({ page: 'runs' });
    expect(parseRoute(runHref('etl', 'r-1'))).toEqual({ page: 'run', workflow: 'etl', runId: 'r-1' });
    expect(parseRoute(runHref('a.b', 'r/1', 'load data'))).toEqual({
      page: 'run',
      workflow: 'a.b',
      runId: 'r/1',
      taskId: 'load data',
    });
    expect(parseRoute('#/nope')).toEqual({ page: 'not-found', hash: '#/nope' });
    expect(parseRoute('#/runs/%E0%A4%A/x')).toEqual({ page: 'not-found', hash: '#/runs/%E0%A4%A/x' });
  });
});

describe('the runs list query', () => {
  it('when filters are set, only they are sent, since as epoch ms of the local time', () => {
    expect(listQuery(NO_FILTERS)).toEqual({ limit: 50 });
    const since = '2026-11-28T06:00:00';
    expect(listQuery({ tenant: ' acme ', workflow: 'etl', status: 'running', since })).toEqual({
      limit: 50,
      tenant: 'acme',
      workflow: 'etl',
      status: 'running',
      since: new Date(since).getTime(),
    });
    expect(listQuery({ ...NO_FILTERS, status: 'bogus', since: 'not a date' })).toEqual({ limit: 50 });
  });
});
