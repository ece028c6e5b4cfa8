import { printJson, type CommandContext } from '../context';
import { EXIT } from '../errors';
import { formatCounts } from '../output/format';

/** `mesh cancel <workflow> <runId>` */
export async function cancel(ctx: CommandContext, workflow: string, runId: string): Promise<number> {
  const run = await ctx.client.cancel(workflow, runId);
  if (ctx.json) printJson(ctx.io, run);
  else ctx.io.stdout.write(`run ${run.runId} of workflow ${run.workflow} ${run.status}: ${formatCounts(run.counts)}\n`);
  return EXIT.ok;
}
