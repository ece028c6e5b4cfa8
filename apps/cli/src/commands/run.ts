import type { RunRecord, TaskRecord } from '@mesh/client';
import { printJson, type CommandContext } from '../context';
import { EXIT } from '../errors';
import { formatCounts, formatHardware, formatRequirements, formatTime, oneLine, runDuration } from '../output/format';
import { table } from '../output/table';

/** The lines under a task: its output, its error, why it waits. */
function taskDetails(task: TaskRecord): string[] {
  const lines: string[] = [];
  if (task.requires) lines.push(`requires: ${formatRequirements(task.requires)}`);
  if (task.output !== undefined) lines.push(`output: ${oneLine(task.output)}${task.reused ? ' (reused)' : ''}`);
  if (task.error) lines.push(`error: ${oneLine(task.error, 400)}`);
  if (task.waiting) lines.push(`waiting: ${task.waiting.message}`);
  else if (task.waitingFor && task.waitingFor.length > 0) lines.push(`waiting: for ${task.waitingFor.join(', ')}`);
  return lines;
}

/** The run, then its tasks with status, runner, hardware, output, error and why they wait. */
export function formatRun(run: RunRecord, now: number): string {
  const head: Array<[string, string]> = [
    ['run', run.runId],
    ['workflow', run.workflow],
    ['tenant', run.tenant],
    ['status', run.error ? `${run.status} (${run.error})` : run.status],
    ['domain', run.domain ? `${run.domain}${run.route ? ` (route: ${run.route})` : ''}` : '-'],
    ['submitted', formatTime(run.submittedAt)],
    ['started', formatTime(run.startedAt)],
    ['finished', formatTime(run.finishedAt)],
    ['duration', runDuration(run, now)],
    ['tasks', formatCounts(run.counts)],
  ];
  if (run.rerunOf) head.push(['re-runs', run.rerunOf]);
  const width = Math.max(...head.map(([k]) => k.length));
  const lines = head.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
  const rendered = table(
    ['TASK', 'KIND', 'STATUS', 'DOMAIN', 'RUNNER', 'HARDWARE'],
    run.tasks.map((t) => {
      const hw = t.runnerId ? (run.runners[t.runnerId] ?? run.hardware[t.runnerId]) : undefined;
      const attempt = t.attempts > 1 ? ` (attempt ${t.attempts})` : '';
      const domain = t.domain ?? run.domain ?? '-';
      const routed = t.route === 'domain' || t.route === 'requires' ? ` (${t.route})` : '';
      return [
        t.id,
        t.kind,
        `${t.status}${attempt}`,
        `${domain}${routed}`,
        t.runnerId ?? '-',
        t.runnerId ? formatHardware(hw) : '-',
      ];
    }),
  )
    .trimEnd()
    .split('\n');
  // Each task's details go on lines of their own under it, outside the columns.
  const out = [rendered[0] as string];
  run.tasks.forEach((t, i) => {
    out.push(rendered[i + 1] as string);
    for (const d of taskDetails(t)) out.push(`  ${d}`);
  });
  return `${lines}\n\n${out.join('\n')}\n`;
}

/** `mesh run <workflow> <runId>` */
export async function run(ctx: CommandContext, workflow: string, runId: string): Promise<number> {
  const record = await ctx.client.get(workflow, runId);
  if (ctx.json) printJson(ctx.io, record);
  else ctx.io.stdout.write(formatRun(record, ctx.io.now()));
  return EXIT.ok;
}
