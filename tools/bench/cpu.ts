import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (`getconf CLK_TCK`; 100 on Linux unless it says otherwise). */
export function clockTicksPerSecond(): number {
  try {
    const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(hz) && hz > 0) return hz;
  } catch {
    // no getconf: Linux's USER_HZ is 100
  }
  return 100;
}

/** utime + stime (all threads, in clock ticks) from the text of /proc/<pid>/stat. */
export function parseStatTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) and stime (field 15) are at 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(stat.slice(0, 80))}`);
  return ticks;
}

/** CPU ticks a process has used so far; undefined when /proc has no readable entry for it. */
export function cpuTicks(pid: number): number | undefined {
  try {
    return parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The command name of a process (/proc/<pid>/comm), or undefined. */
export function commandName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A process whose CPU time a phase reports. */
export interface MeteredProcess {
  readonly name: string;
  /** undefined: known not to be measurable (e.g. a Redis on another host). */
  readonly pid: number | undefined;
  /** Whether it counts in the system's total (the benchmark's own client does not). */
  readonly inTotal: boolean;
}

export interface ProcessCpu {
  readonly name: string;
  readonly pid: number | null;
  readonly inTotal: boolean;
  /** CPU milliseconds over the phase; null when it could not be read. */
  readonly cpuMs: number | null;
  /** CPU microseconds per task (or per run); null when it could not be read. */
  readonly usPerTask: number | null;
}

export interface CpuReport {
  readonly processes: readonly ProcessCpu[];
  /** Sum of usPerTask over the processes in the total that could be read. */
  readonly totalUsPerTask: number;
  /** False when a process of the total could not be read, so the total is too low. */
  readonly complete: boolean;
}

/** A started measurement: `stop(tasks)` reads the processes again and divides by `tasks`. */
export interface CpuMeasurement {
  stop(tasks: number): CpuReport;
}

/** Reads utime+stime of each process before and after a phase. */
export function startCpuMeasurement(
  processes: readonly MeteredProcess[],
  hz: number = clockTicksPerSecond(),
): CpuMeasurement {
  const before = processes.map((p) => (p.pid === undefined ? undefined : cpuTicks(p.pid)));
  return {
    stop(tasks: number): CpuReport {
      const rows = processes.map((p, i): ProcessCpu => {
        const start = before[i];
        const end = p.pid === undefined ? undefined : cpuTicks(p.pid);
        const cpuMs = start === undefined || end === undefined ? null : ((end - start) * 1000) / hz;
        return {
          name: p.name,
          pid: p.pid ?? null,
          inTotal: p.inTotal,
          cpuMs,
          usPerTask: cpuMs === null ? null : (cpuMs * 1000) / tasks,
        };
      });
      const counted = rows.filter((r) => r.inTotal);
      return {
        processes: rows,
        totalUsPerTask: counted.reduce((sum, r) => sum + (r.usPerTask ?? 0), 0),
        complete: counted.every((r) => r.usPerTask !== null),
      };
    },
  };
}

/** CPU per second of wall time (`usPerTask` is then µs per second) of each process over `ms` of idling. */
export async function measureIdle(processes: readonly MeteredProcess[], ms: number): Promise<CpuReport> {
  const measurement = startCpuMeasurement(processes);
  await new Promise((r) => setTimeout(r, ms));
  return measurement.stop(ms / 1000);
}
