import type { HardwareSnapshot, MeshKeys, Redis, RunEvent, Submission } from '@mesh/mesh-protocol';
import { renderRecord, type RunRecord, type RunStatus } from './record';
import { APPLY_EVENT } from './scripts';

export interface ApplyResult {
  readonly outcome: 'applied' | 'duplicate' | 'unknown_run';
  /** Set when this event moved the run to its final status. */
  readonly finished?: 'succeeded' | 'failed';
}

export interface ListQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly status?: RunStatus;
}

type Scripted = Redis & { meshApplyEvent(...args: Array<string | number>): Promise<[number, number]> };

/**
 * Run records in Redis, kept for `ttlMs` after their last change: one hash of run fields, one of
 * task fields, one of the hardware of the runners that executed tasks, all tagged by run; and a
 * per-workflow index sorted by submission time for listing newest first.
 */
export class RecordStore {
  private readonly redis: Scripted;

  constructor(
    redis: Redis,
    private readonly keys: MeshKeys,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    const r = redis as Scripted;
    if (typeof r.meshApplyEvent !== 'function')
      r.defineCommand('meshApplyEvent', { numberOfKeys: 2, lua: APPLY_EVENT });
    this.redis = r;
  }

  /** Stores a queued run (before its submission is published, so no event can miss it). */
  async create(s: Submission): Promise<void> {
    const meta = this.keys.record(s.runId, 'meta');
    const index = this.keys.workflow(s.workflow, 'runs');
    await this.redis
      .multi()
      .hset(meta, {
        runId: s.runId,
        workflow: s.workflow,
        tenant: s.tenant,
        status: 'queued',
        submittedAt: s.submittedAt,
        hardware: JSON.stringify(s.hardware),
        order: s.tasks.map((t) => t.id).join(','),
      })
      .pexpire(meta, this.ttlMs)
      .exec();
    await this.redis
      .multi()
      .zadd(index, s.submittedAt, s.runId)
      .zremrangebyscore(index, '-inf', this.now() - this.ttlMs)
      .pexpire(index, this.ttlMs)
      .exec();
  }

  /** Removes a record whose submission could not be published. */
  async discard(runId: string, workflow: string): Promise<void> {
    await this.redis.del(this.keys.record(runId, 'meta'));
    await this.redis.zrem(this.keys.workflow(workflow, 'runs'), runId);
  }

  /** Applies events in one round trip; `hardwareOf` gives the hardware of a runner named by a task event. */
  async apply(
    events: readonly RunEvent[],
    hardwareOf: (runnerId: string) => HardwareSnapshot | undefined,
  ): Promise<ApplyResult[]> {
    if (events.length === 0) return [];
    const pipeline = this.redis.pipeline() as unknown as ReturnType<Redis['pipeline']> & {
      meshApplyEvent(...a: Array<string | number>): void;
    };
    const hardware = events.map((e) => (e.runnerId ? hardwareOf(e.runnerId) : undefined));
    events.forEach((e, n) => {
      const meta = this.keys.record(e.runId, 'meta');
      pipeline.meshApplyEvent(
        meta,
        this.keys.record(e.runId, 'tasks'),
        e.type,
        e.at,
        e.taskId ?? '',
        e.attempt ?? 0,
        e.runnerId ?? '',
        e.domain ?? '',
        e.error ?? '',
        this.ttlMs,
      );
      const hw = hardware[n];
      if (e.runnerId && hw) {
        const runners = this.keys.record(e.runId, 'runners');
        pipeline.hsetnx(runners, e.runnerId, JSON.stringify(hw));
        pipeline.pexpire(runners, this.ttlMs);
      }
    });
    const replies = (await pipeline.exec()) ?? [];
    const results: ApplyResult[] = [];
    let i = 0;
    events.forEach((e, n) => {
      const [err, reply] = replies[i++] ?? [];
      if (err) throw err;
      if (e.runnerId && hardware[n]) i += 2;
      const [changed, finished] = reply as [number, number];
      if (changed === -1) results.push({ outcome: 'unknown_run' });
      else if (finished === 1)
        results.push({ outcome: 'applied', finished: e.type === 'run-succeeded' ? 'succeeded' : 'failed' });
      else results.push({ outcome: changed === 1 ? 'applied' : 'duplicate' });
    });
    return results;
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const replies = ((await this.redis
      .pipeline()
      .hgetall(this.keys.record(runId, 'meta'))
      .hgetall(this.keys.record(runId, 'tasks'))
      .hgetall(this.keys.record(runId, 'runners'))
      .exec()) ?? []) as Array<[Error | null, Record<string, string>]>;
    const failed = replies.find(([err]) => err)?.[0];
    if (failed) throw failed;
    const [meta, tasks, runners] = replies.map(([, value]) => value);
    if (!meta || !meta['runId']) return undefined;
    return renderRecord(meta, tasks ?? {}, runners ?? {});
  }

  /** Whether any record of the workflow exists (for a 404 on an unknown workflow). */
  async workflowKnown(workflow: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.workflow(workflow, 'runs'))) === 1;
  }

  /**
   * Runs of a workflow, newest first. The cursor is opaque; it resumes after the last run returned.
   * With a status filter, at most a few pages of the index are scanned per call (a nextCursor says
   * where to go on).
   */
  async list(workflow: string, q: ListQuery): Promise<{ runs: RunRecord[]; nextCursor: string | null }> {
    const index = this.keys.workflow(workflow, 'runs');
    let after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const runs: RunRecord[] = [];
    const page = Math.max(q.limit * 2, 50);
    for (let scans = 0; scans < 10; scans++) {
      const raw = await this.redis.zrevrangebyscore(
        index,
        after ? String(after.score) : '+inf',
        '-inf',
        'WITHSCORES',
        'LIMIT',
        0,
        page,
      );
      const entries: Array<{ runId: string; score: number }> = [];
      for (let i = 0; i < raw.length; i += 2) entries.push({ runId: raw[i] as string, score: Number(raw[i + 1]) });
      // Within one score, entries come in reverse lexicographic order: resume strictly after the cursor.
      const cut = after;
      let fresh = cut ? entries.filter((e) => e.score < cut.score || e.runId < cut.runId) : entries;
      if (fresh.length === 0 && entries.length === page && cut) {
        // A whole page of runs submitted in the same millisecond: move past that millisecond.
        const rest = await this.redis.zrevrangebyscore(index, `(${cut.score}`, '-inf', 'WITHSCORES', 'LIMIT', 0, page);
        fresh = [];
        for (let i = 0; i < rest.length; i += 2) fresh.push({ runId: rest[i] as string, score: Number(rest[i + 1]) });
      }
      if (fresh.length === 0) return { runs, nextCursor: null };
      const records = await Promise.all(fresh.map((e) => this.get(e.runId)));
      for (let i = 0; i < fresh.length; i++) {
        after = fresh[i];
        const record = records[i];
        if (!record || (q.status && record.status !== q.status)) continue;
        runs.push(record);
        if (runs.length === q.limit) {
          const more = i < fresh.length - 1 || entries.length === page;
          return { runs, nextCursor: more && after ? encodeCursor(after) : null };
        }
      }
      if (entries.length < page) return { runs, nextCursor: null };
    }
    return { runs, nextCursor: after ? encodeCursor(after) : null };
  }
}

function encodeCursor(c: { score: number; runId: string }): string {
  return Buffer.from(JSON.stringify([c.score, c.runId])).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; runId: string } | undefined {
  try {
    const [score, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof score === 'number' && typeof runId === 'string') return { score, runId };
  } catch {
    // fall through
  }
  return undefined;
}

export function isValidCursor(cursor: string): boolean {
  return decodeCursor(cursor) !== undefined;
}
