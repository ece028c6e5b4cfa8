import { GROUPS, type MeshKeys, type Redis } from '@mesh/mesh-protocol';
import type { RunRecord, TaskRecord } from '@mesh/run-state';

/**
 * Completes why each queued task of a live run waits, from what lies outside the run's own keys (the run's
 * record already says "dependencies" and "no live runner"): a retry waiting for its backoff is in the
 * supervisors' schedule (member `d|<runId>|<taskId>|<attempt>`, docs/run-state.md) until its due time; any other
 * queued attempt is published on its domain's stream, behind the entries the `runners` group has not read yet.
 * Two round trips at most, only for a run with queued tasks.
 */
export async function explainWaits(
  redis: Redis,
  keys: MeshKeys,
  record: RunRecord,
  now: () => number = Date.now,
): Promise<RunRecord> {
  if (record.status !== 'running') return record;
  const open = record.tasks.filter((t) => t.status === 'queued' && t.waiting === undefined);
  if (open.length === 0) return record;
  const retries = open.filter((t) => t.attempts > 1);
  const due =
    retries.length > 0
      ? await redis.zmscore(
          keys.ofRun(record.runId).schedule,
          ...retries.map((t) => `d|${record.runId}|${t.id}|${t.attempts}`),
        )
      : [];
  const until = new Map(retries.map((t, i) => [t.id, due[i] === null || due[i] === undefined ? 0 : Number(due[i])]));
  const domains = [...new Set(open.map((t) => t.domain ?? record.domain ?? ''))].filter((d) => d !== '');
  const lags = new Map(await Promise.all(domains.map(async (d) => [d, await unread(redis, keys, d)] as const)));
  const t0 = now();
  const tasks = record.tasks.map((t): TaskRecord => {
    if (t.status !== 'queued' || t.waiting !== undefined) return t;
    const at = until.get(t.id) ?? 0;
    if (at > t0)
      return {
        ...t,
        waiting: {
          reason: 'backoff',
          message: `backing off before attempt ${t.attempts} until ${new Date(at).toISOString()}`,
          until: at,
        },
      };
    const domain = t.domain ?? record.domain ?? '';
    const ahead = lags.get(domain);
    return {
      ...t,
      waiting: {
        reason: 'queue',
        message:
          ahead === undefined || ahead === 0
            ? `queued in domain ${domain}, waiting for a runner to take it`
            : `queued in domain ${domain} behind up to ${ahead} assignments no runner has taken yet`,
        ...(ahead === undefined ? {} : { ahead }),
      },
    };
  });
  return { ...record, tasks };
}

/** How many entries of the domain's stream the runners group has not read yet (its lag); undefined if unknown. */
async function unread(redis: Redis, keys: MeshKeys, domain: string): Promise<number | undefined> {
  try {
    const groups = (await redis.xinfo('GROUPS', keys.assignments(domain))) as unknown[][];
    for (const g of groups) {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) fields.set(String(g[i]), g[i + 1]);
      if (fields.get('name') !== GROUPS.runners) continue;
      const lag = fields.get('lag');
      return typeof lag === 'number' ? lag : undefined;
    }
    return undefined;
  } catch {
    // No such stream (no assignment published there yet) or no group: nothing is known about the queue.
    return undefined;
  }
}
