import type { Redis } from '@mesh/mesh-protocol';
import type { RunState } from '@mesh/run-state';

/**
 * What a schedule entry asks for an attempt: `dispatch` it later (after a retry's backoff, or once its domain
 * has a runner), or fail it at its `queue` deadline if no runner picked it up by then (queueTimeoutMs).
 */
export type ScheduleKind = 'dispatch' | 'queue';

export interface ScheduleEntry {
  readonly kind?: ScheduleKind;
  readonly runId: string;
  readonly taskId: string;
  readonly attempt: number;
  /** For a queue deadline: the domain and the entry id of the published assignment. */
  readonly domain?: string;
  readonly entryId?: string;
}

const PREFIX: Record<ScheduleKind, string> = { dispatch: 'd', queue: 'q' };

/** Members per ZADD / ZREM: a run's 100,000 tasks go in a pipeline of bounded commands. */
const CHUNK = 1000;

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
}

/** `d|runId|taskId|attempt` (or `q|…|domain|entryId`): run ids, task ids and domains never contain "|". */
export function memberOf(e: ScheduleEntry): string {
  const base = `${PREFIX[e.kind ?? 'dispatch']}|${e.runId}|${e.taskId}|${e.attempt}`;
  return e.kind === 'queue' ? `${base}|${e.domain ?? ''}|${e.entryId ?? ''}` : base;
}

/** The entry of a member, or undefined for one this version does not schedule (it is dropped). */
export function parseMember(member: string): (ScheduleEntry & { kind: ScheduleKind }) | undefined {
  const [k, runId, taskId, attempt, domain, entryId] = member.split('|');
  const kind = k === 'd' ? 'dispatch' : k === 'q' ? 'queue' : undefined;
  if (!kind || !runId || !taskId || !attempt) return undefined;
  if (kind === 'queue' && domain && entryId) return { kind, runId, taskId, attempt: Number(attempt), domain, entryId };
  return kind === 'queue' ? undefined : { kind, runId, taskId, attempt: Number(attempt) };
}

/**
 * The durable schedule shared by all supervisors, for work that waits (never on the happy path): a sorted
 * set of attempts scored by when they are due. A supervisor claims due entries by leasing them (pushing
 * their score `leaseMs` ahead) and removes them once handled; if it dies first, the lease runs out and
 * another supervisor takes them.
 */
export class Schedule {
  constructor(
    private readonly redis: Redis,
    private readonly state: RunState,
    readonly key: string,
  ) {}

  async add(entries: ReadonlyArray<{ member: string; at: number }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < entries.length; i += CHUNK) {
      const args: Array<string | number> = [];
      for (const { member, at } of entries.slice(i, i + CHUNK)) args.push(at, member);
      pipeline.zadd(this.key, ...args);
    }
    await exec(pipeline);
  }

  async claim(now: number, limit: number, leaseMs: number): Promise<string[]> {
    return this.state.claimDue(this.key, now, limit, now + leaseMs);
  }

  async remove(members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (let i = 0; i < members.length; i += CHUNK) pipeline.zrem(this.key, ...members.slice(i, i + CHUNK));
    await exec(pipeline);
  }

  /** When the earliest entry is due (undefined when the schedule is empty). */
  async nextDue(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(this.key, '0', '0', 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  /**
   * The ready work for supervisor_pending_queue_depth: due dispatch entries plus the `held` members (held back
   * for a runner) waiting for their next check; and the held members gone from the schedule.
   */
  depth(now: number, held: readonly string[]): Promise<{ ready: number; gone: string[] }> {
    return this.state.scheduleDepth(this.key, now, held);
  }

  /** Entries due at or before `now`. */
  due(now: number): Promise<number> {
    return this.redis.zcount(this.key, '-inf', now);
  }
}
