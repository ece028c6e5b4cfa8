import { spreadPipeline, type MeshKeys, type Redis } from '@mesh/mesh-protocol';
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

async function exec(pipeline: ReturnType<typeof spreadPipeline>): Promise<void> {
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
 * another supervisor takes them. With several partitions (MESH_PARTITIONS) each has its own sorted set, and
 * an attempt is in the one of its run's partition; this class reads and writes them as one schedule.
 */
export class Schedule {
  /** The partitions' sorted sets, by partition index. */
  readonly keys: readonly string[];
  /** Where the next claim starts, so that no partition's due work waits behind another's. */
  private nextPartition = 0;

  constructor(
    private readonly redis: Redis,
    private readonly state: RunState,
    private readonly meshKeys: MeshKeys,
  ) {
    this.keys = meshKeys.partitionKeys.map((p) => p.schedule);
  }

  /** The sorted set a member belongs in: its run's partition's. */
  keyOf(member: string): string {
    const runId = member.split('|')[1];
    return runId ? this.meshKeys.ofRun(runId).schedule : (this.keys[0] as string);
  }

  async add(entries: ReadonlyArray<{ member: string; at: number }>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = spreadPipeline(this.redis);
    for (const [key, list] of this.byKey(entries, (e) => e.member))
      for (let i = 0; i < list.length; i += CHUNK) {
        const args: Array<string | number> = [];
        for (const { member, at } of list.slice(i, i + CHUNK)) args.push(at, member);
        pipeline.zadd(key, ...args);
      }
    await exec(pipeline);
  }

  /**
   * Leases up to `limit` due entries, from the partitions in turn. A partition that fails (its node is away)
   * is skipped this round; what the others gave is returned, and the failure rethrown only when none answered.
   */
  async claim(now: number, limit: number, leaseMs: number): Promise<string[]> {
    const claimed: string[] = [];
    const start = this.nextPartition;
    this.nextPartition = (start + 1) % this.keys.length;
    let failure: Error | undefined;
    let answered = 0;
    for (let i = 0; i < this.keys.length && claimed.length < limit; i++) {
      const key = this.keys[(start + i) % this.keys.length] as string;
      try {
        claimed.push(...(await this.state.claimDue(key, now, limit - claimed.length, now + leaseMs)));
        answered++;
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    if (answered === 0 && failure !== undefined) throw failure;
    return claimed;
  }

  async remove(members: readonly string[]): Promise<void> {
    if (members.length === 0) return;
    const pipeline = spreadPipeline(this.redis);
    for (const [key, list] of this.byKey(members, (m) => m))
      for (let i = 0; i < list.length; i += CHUNK) pipeline.zrem(key, ...list.slice(i, i + CHUNK));
    await exec(pipeline);
  }

  /**
   * When the earliest entry is due (undefined when the schedule is empty). A partition that fails to answer
   * is left out (one node away does not stall the others); when none answers, the failure is rethrown.
   */
  async nextDue(): Promise<number | undefined> {
    const pipeline = spreadPipeline(this.redis);
    for (const key of this.keys) pipeline.zrange(key, '0', '0', 'WITHSCORES');
    const replies = (await pipeline.exec()) ?? [];
    let earliest: number | undefined;
    for (const [err, reply] of replies) {
      if (err) continue;
      const score = (reply as string[])[1];
      if (score !== undefined && (earliest === undefined || Number(score) < earliest)) earliest = Number(score);
    }
    const failed = replies.filter(([err]) => err);
    if (failed.length === replies.length && failed[0]?.[0]) throw failed[0][0];
    return earliest;
  }

  /**
   * The ready work for supervisor_pending_queue_depth: due dispatch entries plus the `held` members (held back
   * for a runner) waiting for their next check; and the held members gone from the schedule.
   */
  async depth(now: number, held: readonly string[]): Promise<{ ready: number; gone: string[] }> {
    const heldBy = this.byKey(held, (m) => m);
    const parts = await Promise.all(this.keys.map((key) => this.state.scheduleDepth(key, now, heldBy.get(key) ?? [])));
    return { ready: parts.reduce((n, p) => n + p.ready, 0), gone: parts.flatMap((p) => p.gone) };
  }

  /** Entries due at or before `now`. */
  async due(now: number): Promise<number> {
    const counts = await Promise.all(this.keys.map((key) => this.redis.zcount(key, '-inf', now)));
    return counts.reduce((n, c) => n + c, 0);
  }

  private byKey<T>(items: readonly T[], memberOf: (item: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const item of items) {
      const key = this.keyOf(memberOf(item));
      const list = out.get(key);
      if (list) list.push(item);
      else out.set(key, [item]);
    }
    return out;
  }
}
