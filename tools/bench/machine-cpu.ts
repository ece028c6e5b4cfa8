import { readFileSync } from 'node:fs';
import { clockTicksPerSecond } from './cpu';

/** The machine's CPU time so far, over all cores, in clock ticks (the `cpu` line of /proc/stat). */
export interface MachineTicks {
  /** user + nice + system + irq + softirq: work done by any process or the kernel. */
  readonly busy: number;
  /** busy + idle + iowait + steal. */
  readonly total: number;
}

/** The `cpu` line of /proc/stat's text, as busy and total ticks. */
export function parseMachineTicks(procStat: string): MachineTicks {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  const f = line?.trim().split(/\s+/).slice(1, 9).map(Number) ?? [];
  if (f.length < 8 || f.some((n) => !Number.isFinite(n)))
    throw new Error(`no "cpu" line of 8 numbers in /proc/stat: ${JSON.stringify(procStat.slice(0, 80))}`);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const busy = user + nice + system + irq + softirq;
  return { busy, total: busy + idle + iowait + steal };
}

/** What the whole machine did over a phase. */
export interface MachineCpu {
  /** CPU ms used by everything on the machine (all cores). */
  readonly busyMs: number;
  /** Busy CPU time ÷ the phase's wall time: how many cores were busy on average. */
  readonly busyCores: number;
}

/** Reads /proc/stat before and after a phase; `stop()` is undefined where there is no /proc/stat. */
export function startMachineCpu(hz: number = clockTicksPerSecond()): { stop(): MachineCpu | undefined } {
  const read = (): MachineTicks | undefined => {
    try {
      return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
    } catch {
      return undefined;
    }
  };
  const before = read();
  const startedAt = performance.now();
  return {
    stop() {
      const after = read();
      const wallMs = performance.now() - startedAt;
      if (!before || !after || wallMs <= 0) return undefined;
      const busyMs = ((after.busy - before.busy) * 1000) / hz;
      return { busyMs, busyCores: busyMs / wallMs };
    },
  };
}
