import type { CommandContext } from '../context';
import { EXIT } from '../errors';
import { watchRun } from '../watch';
import { printAccepted } from './submit';

/** `mesh rerun <workflow> <runId> [--watch]` */
export async function rerun(
  ctx: CommandContext,
  workflow: string,
  runId: string,
  options: { watch?: boolean },
): Promise<number> {
  const accepted = await ctx.client.rerun(workflow, runId);
  if (!options.watch) {
    printAccepted(ctx, accepted);
    return EXIT.ok;
  }
  if (!ctx.json) printAccepted(ctx, accepted);
  return watchRun(ctx, accepted.workflow, accepted.runId);
}
