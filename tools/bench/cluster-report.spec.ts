import {
  clusterTable,
  describeHoldings,
  formatClusterReport,
  largestShare,
  mastersOf,
  rankOrder,
  summarizeCluster,
  type ClusterReport,
  type ClusterSample,
} from './cluster-report';

function sample(over: Partial<ClusterSample> & Pick<ClusterSample, 'setup' | 'masters'>): ClusterSample {
  return {
    partitions: over.masters === 0 ? 1 : 8,
    round: 1,
    runs: 200,
    tasks: 10_000,
    ms: 5_000,
    tasksPerSec: 2_000,
    usPerTask: { supervisors: 100, runners: 80, orchestrator: 40, redis: 60 },
    masterUsPerTask: [60],
    masterCommandsPerTask: [30],
    masterSlots: [],
    masterHolds: [],
    assignmentsMaster: null,
    measuredCores: 1.5,
    machineCores: 1.9,
    ...over,
  };
}

describe('largestShare', () => {
  it('is the largest value over the sum', () => {
    expect(largestShare([30, 10, 20])).toBeCloseTo(0.5);
    expect(largestShare([42])).toBe(1);
  });

  it('is unknown when a value is unknown, there are none, or all are 0', () => {
    expect(largestShare([30, null])).toBeNull();
    expect(largestShare([])).toBeNull();
    expect(largestShare([0, 0])).toBeNull();
  });
});

describe('rankOrder', () => {
  it('orders indices largest first, unknowns last, ties by position', () => {
    expect(rankOrder([10, null, 30, 10])).toEqual([2, 0, 3, 1]);
  });
});

describe('mastersOf and describeHoldings', () => {
  const ranges = [[[0, 5460]], [[5461, 10922]], [[10923, 16383]]] as const;

  it('finds the master serving each slot, or null where none does', () => {
    expect(mastersOf(ranges, [0, 5461, 16383, 12000])).toEqual([0, 1, 2, 2]);
    expect(mastersOf([[[0, 99]]], [100])).toEqual([null]);
  });

  it('says which master holds the assignment stream and how many partitions each holds', () => {
    // The docs' 8 partitions over 3 masters: slots 1099, 2762, 4374 | 7451, 9902 | 12219, 14059, 15730.
    const partitions = mastersOf(ranges, [1099, 2762, 4374, 7451, 9902, 12219, 14059, 15730]);
    expect(describeHoldings(3, 1, partitions)).toEqual(['3 partitions', 'assignments, 2 partitions', '3 partitions']);
    expect(describeHoldings(1, 0, [0])).toEqual(['assignments, 1 partition']);
  });
});

describe('summarizeCluster', () => {
  it('when a setup has several rounds, its row holds medians, and each master figure follows the master with that CPU rank', () => {
    const rounds = [
      sample({
        setup: '3',
        masters: 3,
        round: 1,
        tasksPerSec: 1000,
        masterUsPerTask: [10, 30, 20],
        masterCommandsPerTask: [1, 3, 2],
      }),
      sample({
        setup: '3',
        masters: 3,
        round: 2,
        tasksPerSec: 1400,
        masterUsPerTask: [40, 20, 20],
        masterCommandsPerTask: [4, 2, 2],
      }),
      sample({
        setup: '3',
        masters: 3,
        round: 3,
        tasksPerSec: 1200,
        masterUsPerTask: [20, 20, 60],
        masterCommandsPerTask: [2, 2, 6],
      }),
    ];
    const [row] = summarizeCluster(rounds).rows;
    expect(row).toMatchObject({ samples: 3, tasksPerSec: 1200, tasksPerSecMin: 1000, tasksPerSecMax: 1400 });
    // Largest first in each round: [30,20,10], [40,20,20], [60,20,20].
    expect(row!.masterUsPerTask).toEqual([40, 20, 20]);
    expect(row!.masterCommandsPerTask).toEqual([4, 2, 2]);
    // Shares 0.5, 0.5, 0.6.
    expect(row!.largestShare).toBeCloseTo(0.5);
    expect(row!.largestHoldsAssignments).toBe(0);
  });

  it('counts the rounds in which the master with the most CPU held the assignment stream', () => {
    const [row] = summarizeCluster([
      sample({ setup: '3', masters: 3, masterUsPerTask: [10, 30, 20], assignmentsMaster: 1 }),
      sample({ setup: '3', masters: 3, masterUsPerTask: [40, 20, 20], assignmentsMaster: 2 }),
    ]).rows;
    expect(row!.largestHoldsAssignments).toBe(1);
    expect(clusterTable({ rows: [row!] }).join('\n')).toContain('1 of 2');
  });

  it('gives ratios against the first setup, in the order the setups were first measured', () => {
    const { rows } = summarizeCluster([
      sample({ setup: 'standalone', masters: 0, tasksPerSec: 2000 }),
      sample({
        setup: 'cluster, 3 masters',
        masters: 3,
        tasksPerSec: 1500,
        usPerTask: { supervisors: 100, runners: 80, orchestrator: 40, redis: 90 },
        masterUsPerTask: [40, 30, 20],
      }),
    ]);
    expect(rows.map((r) => r.setup)).toEqual(['standalone', 'cluster, 3 masters']);
    expect(rows[1]!.throughputVsBase).toBeCloseTo(0.75);
    expect(rows[1]!.redisVsBase).toBeCloseTo(1.5);
    expect(rows[1]!.totalUsPerTask).toBe(310);
    expect(rows[1]!.largestShare).toBeCloseTo(40 / 90);
  });

  it('when a process could not be read, the row says it is incomplete and the share is unknown', () => {
    const [row] = summarizeCluster([
      sample({
        setup: 'standalone',
        masters: 0,
        usPerTask: { supervisors: 100, runners: 80, orchestrator: 40, redis: null },
        masterUsPerTask: [null],
      }),
    ]).rows;
    expect(row!.complete).toBe(false);
    expect(row!.largestShare).toBeNull();
    expect(row!.usPerTask.redis).toBeNull();
    expect(row!.redisVsBase).toBeNaN();
  });
});

describe('clusterTable and formatClusterReport', () => {
  const samples = [
    sample({ setup: 'standalone', masters: 0 }),
    sample({
      setup: 'cluster, 3 masters',
      masters: 3,
      tasksPerSec: 1000,
      masterUsPerTask: [20, 50, 30],
      masterCommandsPerTask: [5, 12.5, 7],
      assignmentsMaster: 1,
    }),
  ];
  const summary = summarizeCluster(samples);

  it('prints each master largest first, the share against an even split, and n/a for the unknown', () => {
    const table = clusterTable(summary).join('\n');
    expect(table).toContain('50 / 30 / 20');
    expect(table).toContain('12.5 / 7.0 / 5.0');
    expect(table).toContain('50% (even: 33%)');
    expect(table).toContain('0.50×');
    expect(table).toMatch(/ +yes \|/);
    expect(table.split('\n')).toHaveLength(4);
  });

  it('puts the machine, the parameters, the table and the notes in the text report', () => {
    const report: ClusterReport = {
      generatedAt: '2026-11-28T10:00:00.000Z',
      machine: {
        cpus: 2,
        cpuModel: 'AMD EPYC',
        memoryGiB: 24,
        os: 'Linux 6',
        node: 'v20.0.0',
        redisVersion: '7.0.15',
        redisPid: 1,
        loadAverage: { start: [1, 2, 3], end: [4, 5, 6] },
        commit: 'abc1234',
      },
      parameters: { runs: 200, tasksPerRun: 50, rounds: 1 },
      samples,
      summary,
      notes: ['a note'],
    };
    const text = formatClusterReport(report);
    expect(text).toContain('code abc1234');
    expect(text).toContain('1.00 / 2.00 / 3.00 at start');
    expect(text).toContain('200 runs × 50 echo tasks');
    expect(text).toContain('| cluster, 3 masters |');
    expect(text).toContain('  - a note');
  });
});
