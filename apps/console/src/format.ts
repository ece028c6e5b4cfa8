import type { HardwareSnapshot, TaskRecord } from '@mesh/client';

/** "850 ms", "12.3 s", "4 min 05 s", "2 h 03 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** How long a task ran: to its end, or to `now` while it runs; undefined before it started. */
export function taskDuration(task: Pick<TaskRecord, 'startedAt' | 'finishedAt'>, now: number): number | undefined {
  if (task.startedAt === undefined) return undefined;
  return (task.finishedAt ?? now) - task.startedAt;
}

/** A local date and time to the second, e.g. "2026-11-28 06:40:12". */
export function formatTime(epochMs: number | undefined): string {
  if (epochMs === undefined || !Number.isFinite(epochMs)) return '';
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The GPUs of a runner as "2 × NVIDIA H100", models grouped; "no GPU" when it reported none. */
export function formatGpus(hw: HardwareSnapshot | undefined): string {
  if (!hw) return '';
  const gpus = hw.gpus ?? [];
  if (gpus.length === 0) return 'no GPU';
  const byModel = new Map<string, number>();
  for (const g of gpus) {
    const name = [g.vendor, g.model].filter(Boolean).join(' ') || 'unknown GPU';
    byModel.set(name, (byModel.get(name) ?? 0) + 1);
  }
  return [...byModel].map(([model, n]) => `${n} × ${model}`).join(', ');
}

/** The CPU of a runner as "AMD EPYC 7763 (16 cores)". */
export function formatCpu(hw: HardwareSnapshot | undefined): string {
  const cpu = hw?.cpu;
  if (!cpu) return '';
  const name = [cpu.vendor, cpu.model].filter(Boolean).join(' ') || 'unknown CPU';
  return cpu.logicalCores ? `${name} (${cpu.logicalCores} cores)` : name;
}

/** A task's output as text to show: strings as they are, anything else as indented JSON. */
export function formatOutput(output: unknown): string {
  if (output === undefined) return '';
  if (typeof output === 'string') return output;
  try {
    return JSON.stringify(output, null, 2) ?? String(output);
  } catch {
    return String(output);
  }
}

/** One line of a value for a table cell, cut to `max` characters. */
export function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
