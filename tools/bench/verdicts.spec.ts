import type { CpuReport } from './cpu';
import type { SystemName, SystemResult } from './results';
import { verdicts } from './verdicts';

const cpu: CpuReport = { processes: [], totalUsPerTask: 50, complete: true };
function system(name: SystemName, tasksPerSec: number, p50 = 1, p99 = 5): SystemResult {
  return {
    system: name,
    label: name,
    fanOut: { tasks: 100, ms: 1, tasksPerSec, clock: '', cpu },
    latency: { runs: 1, p50, p95: p99, p99, mean: p50, min: p50, max: p99, clock: '', cpu },
  };
}

describe('verdicts', () => {
  it('when the mesh reaches 2× BullMQ and half the raw loop within the latency budgets, every check passes', () => {
    const v = verdicts({
      raw: system('raw', 20_000),
      bullmq: system('bullmq', 5000),
      mesh: system('mesh', 10_000, 3, 15),
    });
    expect(v.map((x) => x.pass)).toEqual([true, true, true, true, true]);
  });

  it('when the mesh is slower than 2× BullMQ, that check is a MISS', () => {
    const v = verdicts({ raw: system('raw', 20_000), bullmq: system('bullmq', 6000), mesh: system('mesh', 10_000) });
    expect(v[0]).toMatchObject({ pass: false, value: 10_000 / 6000 });
  });

  it('when BullMQ was skipped, its ratio is n/a, not a pass', () => {
    const v = verdicts({ raw: system('raw', 20_000), mesh: system('mesh', 10_000) });
    expect(v[0]).toMatchObject({ pass: null, value: null });
    expect(v[1]?.pass).toBe(true);
  });
});
