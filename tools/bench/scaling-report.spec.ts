import { markdownTable } from './report-text';
import { formatScalingReport, type ScalingReport } from './scaling-report';
import { summarizeScaling, type ScalingSample } from './scaling-table';

const sample = (runners: number, supervisors: number, tasksPerSec: number, round = 1): ScalingSample => ({
  runners,
  supervisors,
  round,
  tasks: 10_000,
  ms: 10_000_000 / tasksPerSec,
  tasksPerSec,
  usPerTask: { supervisors: 100, runners: 80 * runners, orchestrator: 70, redis: 50 },
  measuredCores: 1.62,
  machineCores: 1.98,
  reportsPerKTasks: 12.5 * runners,
  eventsPerKTasks: 6,
  idleMsPerSec: { supervisors: 45 * supervisors, runners: 1, orchestrator: 1, redis: 1 },
});

function report(samples: ScalingSample[], rounds = 1): ScalingReport {
  return {
    generatedAt: '2026-11-28T08:40:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'AMD EPYC',
      memoryGiB: 24,
      os: 'Linux 6.18',
      node: 'v20.20.2',
      redisVersion: '7.0.15',
      redisPid: 2217,
      loadAverage: { start: [1.21, 1.5, 2], end: [1.9, 1.6, 2] },
      commit: 'abc1234',
    },
    parameters: { tasks: 10_000, rounds },
    samples,
    summary: summarizeScaling(samples),
    notes: ['a note'],
  };
}

describe('markdownTable', () => {
  it('when cells differ in width, each column is padded to its widest cell, numbers to the right', () => {
    expect(
      markdownTable(
        ['a', 'b', 'n'],
        [
          ['xx', 'y', '1'],
          ['x', 'yyy', '100'],
        ],
      ),
    ).toEqual(['| a  | b   |   n |', '| -- | --- | --- |', '| xx | y   |   1 |', '| x  | yyy | 100 |']);
  });
});

describe('formatScalingReport', () => {
  it('when printed, it shows the machine, the load at start and end, the commit and one row per mesh', () => {
    const text = formatScalingReport(report([sample(1, 1, 5000), sample(2, 1, 4000), sample(1, 2, 4500)]));
    expect(text).toContain('code abc1234');
    expect(text).toContain('2 CPUs (AMD EPYC)');
    expect(text).toContain('load average (1 / 5 / 15 min) 1.21 / 1.50 / 2.00 at start, 1.90 / 1.60 / 2.00 at end');
    expect(text).toContain('ratios against 1 runner × 1 supervisor');
    const rows = text.split('\n').filter((l) => /^\| \d +\|/.test(l));
    expect(rows).toHaveLength(3);
    // runners 2: 4,000 tasks/s is 0.80× the base; CPU 100 + 160 + 70 + 50 = 380 against 300.
    expect(rows[1]?.split('|').map((c) => c.trim())).toEqual([
      '',
      '2',
      '1',
      '4,000',
      '0.80×',
      '380',
      '1.27×',
      '100',
      '160',
      '70',
      '50',
      '1.62 / 1.98',
      '25.0 / 6.0',
      '48',
      '',
    ]);
    expect(text).toContain('| 1 → 2 runners, 1 supervisor');
    expect(text).toContain('| 1 → 2 supervisors, 1 runner');
    expect(text).toContain('  - a note');
  });

  it('when there were several rounds, tasks/s shows the median with the range', () => {
    const text = formatScalingReport(report([sample(1, 1, 4000), sample(1, 1, 6000, 2), sample(1, 1, 5000, 3)], 3));
    expect(text).toContain('medians of 3 rounds');
    expect(text).toContain('5,000 (4,000–6,000)');
  });
});
