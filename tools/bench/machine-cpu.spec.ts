import { parseMachineTicks, startMachineCpu } from './machine-cpu';

describe('parseMachineTicks', () => {
  it('when /proc/stat is read, busy is user + nice + system + irq + softirq and total adds idle, iowait and steal', () => {
    const stat = 'cpu  100 2 30 500 7 1 4 9 0 0\ncpu0 50 1 15 250 3 0 2 4 0 0\nintr 1 2 3\n';
    expect(parseMachineTicks(stat)).toEqual({ busy: 100 + 2 + 30 + 1 + 4, total: 137 + 500 + 7 + 9 });
  });

  it('when there is no aggregate cpu line, it throws', () => {
    expect(() => parseMachineTicks('cpu0 1 2 3 4 5 6 7 8\n')).toThrow(/no "cpu" line/);
    expect(() => parseMachineTicks('cpu  1 2 3\n')).toThrow(/no "cpu" line/);
  });
});

describe('startMachineCpu', () => {
  it('when this process burns CPU, the machine was busy for at least part of a core', () => {
    const measurement = startMachineCpu(100);
    const until = Date.now() + 200;
    while (Date.now() < until) Math.sqrt(Math.random());
    const cpu = measurement.stop();
    if (cpu === undefined) return; // no /proc/stat here
    expect(cpu.busyMs).toBeGreaterThan(0);
    expect(cpu.busyCores).toBeGreaterThan(0);
  });
});
