import { median, scalingGrid, summarizeScaling, type ScalingSample } from './scaling-table';

function sample(
  runners: number,
  supervisors: number,
  tasksPerSec: number,
  usPerTask: number,
  round = 1,
): ScalingSample {
  // Split the CPU over the kinds so that they add up to usPerTask.
  const quarter = usPerTask / 4;
  return {
    runners,
    supervisors,
    round,
    tasks: 10_000,
    ms: 10_000_000 / tasksPerSec,
    tasksPerSec,
    usPerTask: { supervisors: quarter, runners: quarter, orchestrator: quarter, redis: quarter },
    measuredCores: 1.5,
    machineCores: 1.9,
    reportsPerKTasks: 10 * runners,
    eventsPerKTasks: 4 * supervisors,
    idleMsPerSec: { supervisors: 40, runners: 2, orchestrator: 1, redis: 1 },
  };
}

describe('scalingGrid', () => {
  it('when given runner and supervisor counts, every combination comes once, supervisors outermost', () => {
    expect(scalingGrid([1, 2, 4], [1, 2])).toEqual([
      { runners: 1, supervisors: 1 },
      { runners: 2, supervisors: 1 },
      { runners: 4, supervisors: 1 },
      { runners: 1, supervisors: 2 },
      { runners: 2, supervisors: 2 },
      { runners: 4, supervisors: 2 },
    ]);
  });
});

describe('median', () => {
  it('when the count is odd it is the middle value, when even the mean of the middle two', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('summarizeScaling', () => {
  const grid = [
    sample(1, 1, 4000, 400),
    sample(2, 1, 5000, 440),
    sample(4, 1, 4000, 600),
    sample(1, 2, 3000, 500),
    sample(2, 2, 5000, 400),
    sample(4, 2, 2000, 800),
  ];

  it('when the grid holds 1 runner × 1 supervisor, every ratio is against that row', () => {
    const { base, rows } = summarizeScaling(grid);
    expect(base).toEqual({ runners: 1, supervisors: 1 });
    expect(rows.map((r) => [r.runners, r.supervisors, r.throughputVsBase, r.cpuVsBase])).toEqual([
      [1, 1, 1, 1],
      [2, 1, 1.25, 1.1],
      [4, 1, 1, 1.5],
      [1, 2, 0.75, 1.25],
      [2, 2, 1.25, 1],
      [4, 2, 0.5, 2],
    ]);
    expect(rows[0]).toMatchObject({
      totalUsPerTask: 400,
      usPerTask: { supervisors: 100, runners: 100, orchestrator: 100, redis: 100 },
      complete: true,
      idleMsPerSec: 44,
      measuredCores: 1.5,
      machineCores: 1.9,
      reportsPerKTasks: 10,
      eventsPerKTasks: 4,
    });
  });

  it('when runners or supervisors are added, each step is against the row with one count fewer on that axis', () => {
    const steps = summarizeScaling(grid).steps.map((s) => [
      `${s.from.runners}x${s.from.supervisors}`,
      `${s.to.runners}x${s.to.supervisors}`,
      s.added,
      s.throughput,
      s.cpu,
    ]);
    expect(steps).toEqual([
      ['1x1', '2x1', 'runners', 1.25, 1.1],
      ['2x1', '4x1', 'runners', 0.8, 600 / 440],
      ['1x2', '2x2', 'runners', 5000 / 3000, 0.8],
      ['2x2', '4x2', 'runners', 0.4, 2],
      ['1x1', '1x2', 'supervisors', 0.75, 1.25],
      ['2x1', '2x2', 'supervisors', 1, 400 / 440],
      ['4x1', '4x2', 'supervisors', 0.5, 800 / 600],
    ]);
  });

  it('when a configuration was measured in several rounds, its row holds the medians and the range of tasks/s', () => {
    const { rows } = summarizeScaling([
      sample(1, 1, 4000, 400, 1),
      sample(1, 1, 6000, 300, 2),
      sample(1, 1, 5000, 350, 3),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      samples: 3,
      tasksPerSec: 5000,
      tasksPerSecMin: 4000,
      tasksPerSecMax: 6000,
      totalUsPerTask: 350,
      throughputVsBase: 1,
    });
  });

  it('when a process of some kind could not be read, that kind is null and the row is marked incomplete', () => {
    const unreadable: ScalingSample = {
      ...sample(1, 1, 4000, 400),
      usPerTask: { supervisors: 100, runners: 100, orchestrator: 100, redis: null },
      machineCores: null,
      reportsPerKTasks: null,
    };
    const [row] = summarizeScaling([unreadable, sample(1, 1, 4000, 400)]).rows;
    expect(row).toMatchObject({ complete: false, machineCores: null, reportsPerKTasks: null, eventsPerKTasks: 4 });
    expect(row?.usPerTask.redis).toBeNull();
  });

  it('when there is no 1 × 1 row, the smallest configuration is the base', () => {
    const { base, rows } = summarizeScaling([sample(4, 2, 2000, 800), sample(2, 2, 4000, 400)]);
    expect(base).toEqual({ runners: 2, supervisors: 2 });
    expect(rows.map((r) => r.throughputVsBase)).toEqual([0.5, 1]);
  });

  it('when there are no samples, it throws', () => {
    expect(() => summarizeScaling([])).toThrow(/no scaling samples/);
  });
});
