/**
 * The IPC messages between the benchmark (parent) and the processes it forks for the baselines:
 * the raw Redis-streams loop, and BullMQ's producer and worker. Every child says `ready` once it is
 * connected, answers `error` (then exits 1) when something fails, and exits on `stop` or when its
 * parent goes away.
 */

/** What every forked child gets as its one argument (JSON). */
export interface ChildConfig {
  readonly redisUrl: string;
  /** The key prefix of this benchmark run; the child keeps every key under it. */
  readonly prefix: string;
  /** BullMQ worker concurrency (the worker only). */
  readonly concurrency?: number;
}

export type ChildError = { type: 'error'; message: string };
export type Stop = { type: 'stop' };
export type Progress = { type: 'progress'; done: number };

/** Parent → raw loop. */
export type RawCommand = { type: 'fan-out'; tasks: number } | { type: 'latency'; runs: number } | Stop;
/** Raw loop → parent. `ms` is measured with performance.now(). */
export type RawReply =
  | { type: 'ready' }
  | Progress
  | { type: 'fan-out-done'; ms: number }
  | { type: 'latency-done'; samplesMs: number[] }
  | ChildError;

/** Parent → BullMQ producer. */
export type ProducerCommand =
  { type: 'add-bulk'; tasks: number; chunk: number } | { type: 'add-one'; i: number } | Stop;
/** BullMQ producer → parent; times are epoch ms (Date.now()), comparable with the worker's. */
export type ProducerReply =
  | { type: 'ready' }
  | { type: 'added-bulk'; firstAddAt: number; lastAddedAt: number }
  | { type: 'added-one'; jobId: string }
  | ChildError;

/**
 * Parent → BullMQ worker: count the next `tasks` completions, then say `all-done`; with `each`, also
 * report every completed job.
 */
export type WorkerCommand = { type: 'expect'; tasks: number; each: boolean } | Stop;
/** BullMQ worker → parent; `timestamp` (set by Queue.add) and `finishedOn` are BullMQ's own epoch ms. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'expecting' }
  | Progress
  | { type: 'job'; jobId: string; timestamp: number; finishedOn: number }
  | { type: 'all-done'; lastFinishedOn: number }
  | ChildError;

/** The BullMQ queue both BullMQ children use: its name and key prefix (under the run's prefix). */
export function bullmqQueue(config: ChildConfig): { readonly name: string; readonly prefix: string } {
  return { name: 'bench', prefix: `${config.prefix}:bull` };
}
