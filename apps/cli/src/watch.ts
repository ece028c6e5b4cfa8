import { applyChange, type RunRecord } from '@mesh/client';
import { printJson, type CommandContext } from './context';
import { EXIT } from './errors';
import { formatCounts, formatDuration } from './output/format';
import { progressBar, progressLine } from './output/progress';

/** How often a progress bar on a terminal redraws while nothing happens (its clock moves). */
const TTY_REDRAW_MS = 1000;

/** The exit code of a run that ended. */
export function exitCodeOfRun(run: RunRecord): number {
  return run.status === 'failed' ? EXIT.runFailed : run.status === 'cancelled' ? EXIT.runCancelled : EXIT.ok;
}

/**
 * Follows a run until it ends: a progress bar redrawn in place on a terminal, a progress line every
 * MESH_WATCH_INTERVAL_MS otherwise, nothing with --json. Then the outcome (the final record with --json);
 * returns the exit code of the run, or 130 when interrupted.
 */
export async function watchRun(ctx: CommandContext, workflow: string, runId: string): Promise<number> {
  const { io, client, json } = ctx;
  const tty = !json && io.stdout.isTTY === true;
  let record: RunRecord | undefined;
  let ended = false;
  const draw = () => {
    if (record) io.stdout.write(`\r\x1b[2K${progressBar(record, io.now())}`);
  };
  const print = () => {
    if (record) io.stdout.write(`${progressLine(record)}\n`);
  };
  const ticker = json ? undefined : setInterval(tty ? draw : print, tty ? TTY_REDRAW_MS : ctx.config.watchIntervalMs);
  try {
    for await (const event of client.follow(workflow, runId, { signal: io.signal })) {
      const first = record === undefined;
      if (event.type === 'change') {
        if (record) record = applyChange(record, event.event);
      } else record = event.record;
      if (event.type === 'end') ended = true;
      if (tty) draw();
      else if (!json && first && !ended) print();
    }
  } finally {
    clearInterval(ticker);
    if (tty && record) io.stdout.write('\n');
  }
  if (!ended || !record) {
    io.stderr.write(`mesh: stopped watching run ${runId}; it goes on (mesh run ${workflow} ${runId})\n`);
    return EXIT.interrupted;
  }
  if (json) printJson(io, record);
  else io.stdout.write(outcome(record));
  return exitCodeOfRun(record);
}

/** "run r1 succeeded after 3.2s: 3/3 succeeded", and the run's error on the next line. */
export function outcome(run: RunRecord): string {
  const took =
    run.startedAt !== undefined && run.finishedAt !== undefined
      ? ` after ${formatDuration(run.finishedAt - run.startedAt)}`
      : '';
  return `run ${run.runId} ${run.status}${took}: ${formatCounts(run.counts)}\n${run.error ? `error: ${run.error}\n` : ''}`;
}
