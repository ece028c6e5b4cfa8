import type { RunRecord } from '@mesh/client';
import { formatCounts, formatDuration, formatHardware, formatRequirements, formatTime, oneLine } from './format';
import { progressBar, progressLine } from './progress';
import { table } from './table';

const zero = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };

describe('output formats', () => {
  it('when a runner has GPUs, its hardware reads as GPU models with counts, then the CPU model', () => {
    const gpu = { index: 0, vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3' };
    expect(
      formatHardware({ gpus: [gpu, { ...gpu, index: 1 }], cpu: { model: 'AMD EPYC 9654', logicalCores: 192 } }),
    ).toBe('2× NVIDIA H100 80GB HBM3 · AMD EPYC 9654 (192 cores)');
    expect(formatHardware({ gpus: [], cpu: { model: 'Intel Xeon' } })).toBe('no GPU · Intel Xeon');
    expect(formatHardware({ runnerId: 'r' })).toBe('no GPU');
    expect(formatHardware(undefined)).toBe('-');
  });

  it('when times and durations are shown, they are UTC to the second and short', () => {
    expect(formatTime(1795000000123)).toBe('2026-11-18T11:06:40Z');
    expect([840, 12_340, 245_000, 7_380_000].map(formatDuration)).toEqual(['840ms', '12.3s', '4m05s', '2h03m']);
  });

  it('when counts are shown, succeeded comes first over the total, then only the statuses that have tasks', () => {
    expect(formatCounts({ ...zero, succeeded: 5, failed: 1, running: 2, pending: 2 })).toBe(
      '5/10 succeeded, 1 failed, 2 running, 2 pending',
    );
  });

  it('when a run is in progress, the bar fills with the tasks that ended and names done, failed and running', () => {
    const run = {
      runId: 'r1',
      status: 'running',
      submittedAt: 0,
      startedAt: 1000,
      counts: { ...zero, succeeded: 6, failed: 0, running: 6 },
    } as unknown as RunRecord;
    expect(progressBar(run, 13_300)).toBe(
      `[${'█'.repeat(12)}${'░'.repeat(12)}] 6/12 done · 0 failed · 6 running · 12.3s`,
    );
    expect(progressLine(run)).toBe('run r1 running: 6/12 succeeded, 6 running');
  });

  it('when a table is drawn, columns align and the last one is not padded', () => {
    expect(
      table(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'z'],
          ['1', '22', ''],
        ],
      ),
    ).toBe('A    BB  C\nxxx  y   z\n1    22\n');
  });

  it('when a value is long or multi-line, it is shown on one line and cut', () => {
    expect(oneLine({ a: 1 })).toBe('{"a":1}');
    expect(oneLine('a\n  b')).toBe('a b');
    expect(oneLine('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('formatRequirements', () => {
  it('when a task requires hardware, it reads as GPUs, memory and cores', () => {
    expect(formatRequirements({ gpu: { count: 2, model: 'H100' }, memoryBytes: 64 * 2 ** 30, cpuCores: 8 })).toBe(
      '2× H100 GPU, 64 GiB memory, 8 CPU cores',
    );
    expect(formatRequirements({ gpu: {} })).toBe('1× GPU');
  });
});
