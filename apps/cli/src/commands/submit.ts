import { readFile } from 'node:fs/promises';
import type { Accepted, WorkflowRequest } from '@mesh/client';
import { printJson, type CommandContext } from '../context';
import { EXIT, UsageError } from '../errors';
import { watchRun } from '../watch';

/** The workflow file as JSON; the server checks the rest and lists every problem. */
export async function readWorkflowFile(path: string): Promise<WorkflowRequest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err));
    throw new UsageError(`cannot read workflow file ${path}: ${why}`);
  }
  try {
    return JSON.parse(text) as WorkflowRequest;
  } catch (err) {
    throw new UsageError(`workflow file ${path} is not JSON: ${(err as Error).message}`);
  }
}

/** Says that a run was queued, or prints the answer with --json. */
export function printAccepted(ctx: CommandContext, accepted: Accepted): void {
  if (ctx.json) return printJson(ctx.io, accepted);
  const of = accepted.rerunOf ? `, re-running ${accepted.rerunOf}` : '';
  ctx.io.stdout.write(`queued run ${accepted.runId} of workflow ${accepted.workflow}${of}\n`);
}

/** `mesh submit <file> [--watch] [--idempotency-key K]` */
export async function submit(
  ctx: CommandContext,
  file: string,
  options: { watch?: boolean; idempotencyKey?: string },
): Promise<number> {
  const request = await readWorkflowFile(file);
  const accepted = await ctx.client.submit(
    request,
    options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {},
  );
  if (!options.watch) {
    printAccepted(ctx, accepted);
    return EXIT.ok;
  }
  if (!ctx.json) printAccepted(ctx, accepted);
  return watchRun(ctx, accepted.workflow, accepted.runId);
}
