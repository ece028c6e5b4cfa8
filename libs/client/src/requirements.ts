import type { TaskRecord, TaskRequirements } from './types';

/** What a task requires in a few words: "2× H100 GPU, 64 GiB memory, 8 CPU cores". */
export function describeRequirements(r: TaskRequirements): string {
  const parts: string[] = [];
  if (r.gpu) parts.push(`${r.gpu.count ?? 1}× ${r.gpu.model ? `${r.gpu.model} ` : ''}GPU`);
  if (r.memoryBytes !== undefined) parts.push(`${formatBytes(r.memoryBytes)} memory`);
  if (r.cpuCores !== undefined) parts.push(`${r.cpuCores} CPU cores`);
  return parts.join(', ');
}

/** Which rule sent a task to its domain, in words: "the hardware it requires (1× H100 GPU)". */
export function describeRoute(task: Pick<TaskRecord, 'route' | 'requires'>): string | undefined {
  switch (task.route) {
    case 'domain':
      return 'the domain the task names';
    case 'requires':
      return `the hardware it requires${task.requires ? ` (${describeRequirements(task.requires)})` : ''}`;
    case 'override':
      return "its tenant's route";
    case 'default':
      return 'the default route';
    case undefined:
      return undefined;
    default:
      return task.route;
  }
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
