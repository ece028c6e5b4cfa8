import type { HardwareSnapshot, RunSummary, TaskStatus } from '@mesh/client';

/** An instant as UTC to the second: 2026-11-28T06:55:01Z. */
export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A duration for people: 840ms, 12.3s, 4m05s, 2h03m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/** How long a run took, or has been going (with "…"). */
export function runDuration(run: RunSummary, now: number): string {
  if (run.startedAt === undefined) return '-';
  return run.finishedAt !== undefined
    ? formatDuration(run.finishedAt - run.startedAt)
    : `${formatDuration(now - run.startedAt)}…`;
}

export function totalTasks(counts: Readonly<Record<TaskStatus, number>>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** "7/10 succeeded, 1 failed, 2 running": the statuses that have tasks, succeeded first. */
export function formatCounts(counts: Readonly<Record<TaskStatus, number>>): string {
  const total = totalTasks(counts);
  const rest = (['failed', 'running', 'queued', 'pending', 'skipped', 'cancelled'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`);
  return [`${counts.succeeded}/${total} succeeded`, ...rest].join(', ');
}

/** A runner's machine in one phrase: "2× NVIDIA H100 80GB HBM3 · AMD EPYC 9654 (192 cores)". */
export function formatHardware(hw: HardwareSnapshot | undefined): string {
  if (!hw) return '-';
  const byModel = new Map<string, number>();
  for (const g of hw.gpus ?? []) {
    const model = g.model || g.vendor || 'unknown GPU';
    byModel.set(model, (byModel.get(model) ?? 0) + 1);
  }
  const gpus = byModel.size === 0 ? 'no GPU' : [...byModel].map(([m, n]) => `${n}× ${m}`).join(' + ');
  const cores = hw.cpu?.logicalCores ? ` (${hw.cpu.logicalCores} cores)` : '';
  const cpu = hw.cpu?.model ? `${hw.cpu.model}${cores}` : hw.cpu?.logicalCores ? `${hw.cpu.logicalCores} cores` : '';
  return cpu ? `${gpus} · ${cpu}` : gpus;
}

/** A value on one line, cut at `max` characters. */
export function oneLine(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What a task requires in a few words (the client's wording, shared with the console). */
export { describeRequirements as formatRequirements } from '@mesh/client';
