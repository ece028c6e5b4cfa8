import type { FollowEvent, RunEvent } from '@mesh/client';
import type { CommandContext } from '../context';
import { EXIT } from '../errors';
import { formatCounts } from '../output/format';
import { exitCodeOfRun, outcome } from '../watch';

type Change = Omit<RunEvent, 'runId' | 'workflow' | 'events'>;

/** "06:55:01.123  task-started   extract  runner gpu-1  attempt 1" */
export function changeLine(c: Change): string {
  const parts = [new Date(c.at).toISOString().slice(11, 23), c.type.padEnd(15)];
  if (c.taskId) parts.push(c.taskId);
  if (c.runnerId) parts.push(`runner ${c.runnerId}`);
  if (c.attempt !== undefined) parts.push(`attempt ${c.attempt}`);
  if (c.domain) parts.push(`domain ${c.domain}`);
  if (c.error) parts.push(`error: ${c.error}`);
  return parts.join('  ').trimEnd();
}

function lines(event: FollowEvent): string {
  switch (event.type) {
    case 'snapshot':
      return `run ${event.record.runId} ${event.record.status}: ${formatCounts(event.record.counts)}\n`;
    case 'change':
      return (event.event.events ?? [event.event]).map((c) => `${changeLine(c)}\n`).join('');
    case 'end':
      return outcome(event.record);
  }
}

/** `mesh tail <workflow> <runId>`: the run's changes as they happen until it ends (NDJSON with --json). */
export async function tail(ctx: CommandContext, workflow: string, runId: string): Promise<number> {
  for await (const event of ctx.client.follow(workflow, runId, { signal: ctx.io.signal })) {
    ctx.io.stdout.write(ctx.json ? `${JSON.stringify(event)}\n` : lines(event));
    if (event.type === 'end') return exitCodeOfRun(event.record);
  }
  ctx.io.stderr.write(`mesh: stopped tailing run ${runId}; it goes on\n`);
  return EXIT.interrupted;
}
