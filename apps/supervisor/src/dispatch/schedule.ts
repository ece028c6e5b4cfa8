import type { Redis } from '@mesh/mesh-protocol';
import type { RunStore } from '../state/run-store';

/** What a schedule entry asks for: publish an attempt, or check that it was acked in time. */
export type ScheduleKind = 'dispatch' | 'watch';

export interface ScheduleEntry {
  readonly kind: ScheduleKind;
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
}

const PREFIX: Record<ScheduleKind, string> = { dispatch: 'd', watch: 'w' };

/** Members per ZADD / ZREM: a run's 100,000 ready tasks go in a pipeline of bounded commands. */
const CHUNK = 1000;

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}

/** `d|runId|taskId|attempt`: run ids and task ids never contain "|". */
export function memberOf(e: ScheduleEntry): string {
  return `${PREFIX[e.kind]}|${e.runId}|${e.taskId}|${e.attempt}`;
}

export function parseMember(member: string): ScheduleEntry | undefined {
  const [k, runId, taskId, attempt] = member.split('|');
  const kind = k === 'd' ? 'dispatch' : k === 'w' ? 'watch' : undefined;
  if (!kind || !runId || !taskId || !attempt) return undefined;
  return { kind, runId, taskId, attempt: Number(attempt) };
}

/**
 * The durable schedule shared by all supervisors: a sorted set of entries scored by when they are
 * due. A supervisor claims due entries by leasing them (pushing their score `leaseMs` ahead), and
 * removes them once handled; if it dies first, the lease runs out and another supervisor takes them.
 */
export class Schedule {
  constructor(
    private readonly redis: Redis,
    private readonly store: RunStore,
    readonly key: string,
  ) {}

  async add(entries: ReadonlyArray<{ entry: ScheduleEntry; at: number }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < entries.length; i += CHUNK) {
      const args: Array<string | number> = [];
      for (const { entry, at } of entries.slice(i, i + CHUNK)) args.push(at, memberOf(entry));
      pipeline.zadd(this.key, ...args);
    }
    await exec(pipeline);
  }

  async claim(
    now: number,
    limit: number,
    leaseMs: number,
  ): Promise<Array<{ member: string; entry: ScheduleEntry | undefined }>> {
    const members = await this.store.claimDue(this.key, now, limit, now + leaseMs);
    return members.map((member) => ({ member, entry: parseMember(member) }));
  }

  async remove(members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < members.length; i += CHUNK) pipeline.zrem(this.key, ...members.slice(i, i + CHUNK));
    await exec(pipeline);
  }

  /** Entries due at or before `now`. */
  due(now: number): Promise<number> {
    return this.redis.zcount(this.key, '-inf', now);
  }
}
