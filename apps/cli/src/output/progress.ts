import type { RunRecord } from '@mesh/client';
import { formatCounts, formatDuration, totalTasks } from './format';

const BAR_WIDTH = 24;

/** The progress bar of a run: "[█████░░░░░] 5/10 done · 1 failed · 2 running · 12.3s". */
export function progressBar(run: RunRecord, now: number): string {
  const c = run.counts;
  const total = Math.max(1, totalTasks(c));
  const done = c.succeeded + c.skipped + c.cancelled + c.failed;
  const filled = Math.round((done / total) * BAR_WIDTH);
  const bar = '█'.repeat(filled) + '░'.repeat(BAR_WIDTH - filled);
  const since = run.startedAt ?? run.submittedAt;
  const elapsed = formatDuration((run.finishedAt ?? now) - since);
  return `[${bar}] ${c.succeeded}/${totalTasks(c)} done · ${c.failed} failed · ${c.running} running · ${elapsed}`;
}

/** The progress of a run as one plain line, for logs: "run r1 running: 5/10 succeeded, 2 running". */
export function progressLine(run: RunRecord): string {
  return `run ${run.runId} ${run.status}: ${formatCounts(run.counts)}`;
}
