import { cpuTicks, parseStatTicks, startCpuMeasurement } from './cpu';

describe('parseStatTicks', () => {
  it('when the command name holds spaces and parentheses, utime + stime are still fields 14 and 15', () => {
    const stat = '2212 (redis (x) server) S 1 2212 2212 0 -1 4194624 111085 0 0 0 991 282 0 0 20 0 6 0 5100';
    expect(parseStatTicks(stat)).toBe(991 + 282);
  });

  it('when the line is not a stat line, it throws', () => {
    expect(() => parseStatTicks('garbage')).toThrow(/not a \/proc/);
  });
});

describe('startCpuMeasurement', () => {
  it('when this process burns CPU, its share per task is positive and the total adds up the counted ones', () => {
    if (cpuTicks(process.pid) === undefined) return; // no /proc here
    const measurement = startCpuMeasurement(
      [
        { name: 'me', pid: process.pid, inTotal: true },
        { name: 'me again, not counted', pid: process.pid, inTotal: false },
        { name: 'gone', pid: undefined, inTotal: false },
      ],
      100,
    );
    const until = Date.now() + 100;
    while (Date.now() < until) Math.sqrt(Math.random());
    const report = measurement.stop(10);
    expect(report.processes[0]?.cpuMs).toBeGreaterThan(0);
    expect(report.processes[2]?.cpuMs).toBeNull();
    expect(report.totalUsPerTask).toBe(report.processes[0]?.usPerTask);
    expect(report.complete).toBe(true);
  });
});
