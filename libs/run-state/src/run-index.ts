import { spreadPipeline, type MeshKeys, type Redis } from '@mesh/mesh-protocol';
import { renderSummary, type RunSummary } from './record';
import type { RunStatus } from './statuses';

export interface ListQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly status?: RunStatus;
  /** Only runs submitted at or after this time (epoch ms). */
  readonly since?: number;
  readonly tenant?: string;
  readonly workflow?: string;
}

/**
 * The runs, newest first: sorted sets scored by submission time, kept for `ttlMs`: one per workflow
 * (`mesh:workflow:<id>:runs`), one per tenant (`mesh:tenant:<id>:runs`) and one of every run (`mesh:runs`).
 * Whoever creates a run indexes it (the orchestrator, or a supervisor for a submission written straight to
 * mesh:workflows); adding twice is harmless.
 */
export class RunIndex {
  constructor(
    private readonly redis: Redis,
    private readonly keys: MeshKeys,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** Whether adding drops entries older than ttlMs (the orchestrator's retention decides; a supervisor only adds). */
    private readonly prune = true,
  ) {}

  async add(run: { runId: string; workflow: string; tenant: string; submittedAt: number }): Promise<void> {
    const pipeline = spreadPipeline(this.redis);
    this.addIn(pipeline, run);
    const failed = ((await pipeline.exec()) ?? []).find(([err]) => err)?.[0];
    if (failed) throw failed;
  }

  /**
   * Adds the indexing of a run to a pipeline: entries older than the retention leave, and the index's
   * expiry only ever grows (PEXPIRE GT), so a writer with a shorter retention never cuts a longer one.
   */
  addIn(
    pipeline: ReturnType<Redis['pipeline']>,
    run: { runId: string; workflow: string; tenant: string; submittedAt: number },
  ): void {
    for (const index of this.indexesOf(run)) {
      pipeline.zadd(index, run.submittedAt, run.runId);
      if (this.prune) pipeline.zremrangebyscore(index, '-inf', this.now() - this.ttlMs);
      pipeline.pexpire(index, this.ttlMs, 'GT').pexpire(index, this.ttlMs, 'NX');
    }
  }

  async remove(run: { runId: string; workflow: string; tenant: string }): Promise<void> {
    const pipeline = spreadPipeline(this.redis);
    for (const index of this.indexesOf(run)) pipeline.zrem(index, run.runId);
    await pipeline.exec();
  }

  private indexesOf(run: { workflow: string; tenant: string }): string[] {
    return [this.keys.workflow(run.workflow, 'runs'), this.keys.tenant(run.tenant, 'runs'), this.keys.runs];
  }

  /** Whether any run of the workflow is indexed (for a 404 on an unknown workflow). */
  async known(workflow: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.workflow(workflow, 'runs'))) === 1;
  }

  /**
   * Summaries of a workflow's runs, newest first. The cursor is opaque; it resumes after the last run
   * returned. With a status filter, at most a few pages of the index are scanned per call (a nextCursor
   * says where to go on). Runs whose state expired are skipped.
   */
  async list(workflow: string, q: ListQuery): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    return this.listIndex(this.keys.workflow(workflow, 'runs'), q);
  }

  /**
   * Summaries of the runs a query selects (workflow, tenant, status, since), newest first, from the narrowest
   * index that holds them all: the workflow's, else the tenant's, else the index of every run.
   */
  async listRuns(q: ListQuery): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    const index = q.workflow
      ? this.keys.workflow(q.workflow, 'runs')
      : q.tenant
        ? this.keys.tenant(q.tenant, 'runs')
        : this.keys.runs;
    return this.listIndex(index, q);
  }

  private async listIndex(index: string, q: ListQuery): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    const floor = q.since === undefined ? '-inf' : String(q.since);
    let after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const runs: RunSummary[] = [];
    const page = Math.max(q.limit * 2, 50);
    for (let scans = 0; scans < 10; scans++) {
      const raw = await this.redis.zrevrangebyscore(
        index,
        after ? String(after.score) : '+inf',
        floor,
        'WITHSCORES',
        'LIMIT',
        0,
        page,
      );
      const entries = pairs(raw);
      // Within one score, entries come in reverse lexicographic order: resume strictly after the cursor.
      const cut = after;
      let fresh = cut ? entries.filter((e) => e.score < cut.score || e.runId < cut.runId) : entries;
      if (fresh.length === 0 && entries.length === page && cut) {
        // A whole page of runs submitted in the same millisecond: move past that millisecond.
        fresh = pairs(await this.redis.zrevrangebyscore(index, `(${cut.score}`, floor, 'WITHSCORES', 'LIMIT', 0, page));
      }
      if (fresh.length === 0) return { runs, nextCursor: null };
      const pipeline = spreadPipeline(this.redis);
      for (const e of fresh) pipeline.hgetall(this.keys.run(e.runId, 'meta'));
      const metas = ((await pipeline.exec()) ?? []).map(([err, value]) => {
        if (err) throw err;
        return value as Record<string, string>;
      });
      for (let i = 0; i < fresh.length; i++) {
        after = fresh[i];
        const meta = metas[i];
        if (
          !meta?.['runId'] ||
          (q.status && meta['status'] !== q.status) ||
          (q.tenant && meta['tenant'] !== q.tenant) ||
          (q.workflow && meta['workflow'] !== q.workflow)
        )
          continue;
        runs.push(renderSummary(meta));
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

function pairs(raw: string[]): Array<{ runId: string; score: number }> {
  const out: Array<{ runId: string; score: number }> = [];
  for (let i = 0; i < raw.length; i += 2) out.push({ runId: raw[i] as string, score: Number(raw[i + 1]) });
  return out;
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
