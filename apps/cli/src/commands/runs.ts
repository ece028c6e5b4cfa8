import { RUN_STATUSES, type RunStatus } from '@mesh/client';
import { printJson, type CommandContext } from '../context';
import { EXIT, UsageError } from '../errors';
import { formatTime, runDuration, totalTasks } from '../output/format';
import { table } from '../output/table';

export interface RunsOptions {
  readonly tenant?: string;
  readonly workflow?: string;
  readonly status?: string;
  readonly since?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: epoch ms, an ISO 8601 date-time, or an age like 30m, 2h, 7d (from now). */
export function parseSince(raw: string, now: number): number | string {
  const age = /^(\d+)([smhd])$/.exec(raw);
  if (age) return now - Number(age[1]) * (UNITS[age[2] as string] as number);
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!Number.isNaN(Date.parse(raw))) return raw;
  throw new UsageError(`--since: ${JSON.stringify(raw)} is not epoch ms, an ISO date-time or an age like 30m, 2h, 7d`);
}

/** `mesh runs [--tenant --workflow --status --since --limit --cursor]` */
export async function runs(ctx: CommandContext, options: RunsOptions): Promise<number> {
  if (options.status !== undefined && !(RUN_STATUSES as readonly string[]).includes(options.status))
    throw new UsageError(`--status: must be one of ${RUN_STATUSES.join(', ')}`);
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && !Number.isInteger(limit))
    throw new UsageError('--limit: must be an integer from 1 to 100');
  const page = await ctx.client.list({
    ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
    ...(options.workflow !== undefined ? { workflow: options.workflow } : {}),
    ...(options.status !== undefined ? { status: options.status as RunStatus } : {}),
    ...(options.since !== undefined ? { since: parseSince(options.since, ctx.io.now()) } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
  });
  if (ctx.json) {
    printJson(ctx.io, page);
    return EXIT.ok;
  }
  const now = ctx.io.now();
  if (page.runs.length === 0) ctx.io.stdout.write('no runs\n');
  else
    ctx.io.stdout.write(
      table(
        ['RUN', 'WORKFLOW', 'TENANT', 'STATUS', 'TASKS', 'SUBMITTED', 'DURATION'],
        page.runs.map((r) => [
          r.runId,
          r.workflow,
          r.tenant,
          r.status,
          `${r.counts.succeeded}/${totalTasks(r.counts)}${r.counts.failed > 0 ? ` (${r.counts.failed} failed)` : ''}`,
          formatTime(r.submittedAt),
          runDuration(r, now),
        ]),
      ),
    );
  if (page.nextCursor !== null) ctx.io.stdout.write(`more: --cursor ${page.nextCursor}\n`);
  return EXIT.ok;
}
