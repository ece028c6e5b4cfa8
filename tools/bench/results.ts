import type { CpuReport, MeteredProcess } from './cpu';
import type { Progress } from './progress';
import type { LatencySummary } from './stats';

/** One fan-out: `tasks` independent no-op tasks submitted at once. */
export interface FanOutResult {
  readonly tasks: number;
  /** From the system's own start time to its own finish time (see `clock`). */
  readonly ms: number;
  readonly tasksPerSec: number;
  /** Where `ms` comes from, in words. */
  readonly clock: string;
  /** CPU per task over the phase. */
  readonly cpu: CpuReport;
  /** Anything else a reader should know (e.g. how often the client polled). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

/** Sequential one-task runs. */
export interface LatencyResult extends LatencySummary {
  /** Where each sample comes from, in words. */
  readonly clock: string;
  /** CPU per run over the phase. */
  readonly cpu: CpuReport;
}

export type SystemName = 'mesh' | 'bullmq' | 'raw';

export interface SystemResult {
  readonly system: SystemName;
  readonly label: string;
  readonly fanOut: FanOutResult;
  readonly latency: LatencyResult;
  /** CPU while idle after the warm-up (`usPerTask` here is µs of CPU per second); absent with --idle-ms 0. */
  readonly idle?: CpuReport;
}

/** What each system's benchmark gets from the main script. */
export interface SystemContext {
  readonly root: string;
  readonly redisUrl: string;
  /** The key prefix of this benchmark run; everything under it is deleted at the end. */
  readonly prefix: string;
  readonly tasks: number;
  readonly warmupTasks: number;
  readonly latencyRuns: number;
  /** How long to measure idle CPU after the warm-up (0: not at all). */
  readonly idleMs: number;
  readonly timeoutMs: number;
  readonly progress: Progress;
  /** The Redis server process, measured in every phase. */
  readonly redisProcess: MeteredProcess;
  /** Registers a stop to run at the end or on failure / Ctrl-C; returns a function that unregisters it. */
  onCleanup(stop: () => Promise<unknown>): () => void;
  /** Says what is happening (stderr). */
  say(line: string): void;
}
