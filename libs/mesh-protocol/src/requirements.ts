import type { HardwareSnapshot } from './messages/common';

/**
 * The hardware a task needs, matched against what runners report (`GET /hardware`, `mesh:runners`): GPUs
 * (how many, and a model name they contain, e.g. "H100" matches "NVIDIA H100 80GB HBM3"), memory and CPU
 * cores. Every field named must hold.
 */
export interface TaskRequirements {
  readonly gpu?: { readonly count?: number; readonly model?: string };
  readonly memoryBytes?: number;
  readonly cpuCores?: number;
}

export const requirementsSchema = {
  type: 'object',
  description:
    'The hardware the task needs; it runs in a domain whose live runners report it (gpu: count and a model name they contain; memoryBytes; cpuCores).',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    gpu: {
      type: 'object',
      additionalProperties: false,
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 1024 },
        model: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
    memoryBytes: { type: 'integer', minimum: 1 },
    cpuCores: { type: 'integer', minimum: 1, maximum: 100_000 },
  },
} as const;

/** Whether a runner's hardware meets every requirement. */
export function satisfies(hardware: HardwareSnapshot | null | undefined, requires: TaskRequirements): boolean {
  if (!hardware) return false;
  if (requires.gpu) {
    const model = requires.gpu.model?.toLowerCase();
    const gpus = (hardware.gpus ?? []).filter(
      (g) => model === undefined || (g.model ?? '').toLowerCase().includes(model),
    );
    if (gpus.length < (requires.gpu.count ?? 1)) return false;
  }
  if (requires.memoryBytes !== undefined && (hardware.memory?.totalBytes ?? 0) < requires.memoryBytes) return false;
  if (requires.cpuCores !== undefined && (hardware.cpu?.logicalCores ?? 0) < requires.cpuCores) return false;
  return true;
}

/** The requirements in a few words, e.g. "1× H100 GPU, 64 GiB memory" (as @mesh/client words them). */
export function describeRequirements(requires: TaskRequirements): string {
  const parts: string[] = [];
  if (requires.gpu) parts.push(`${requires.gpu.count ?? 1}× ${requires.gpu.model ? `${requires.gpu.model} ` : ''}GPU`);
  if (requires.memoryBytes !== undefined) parts.push(`${formatBytes(requires.memoryBytes)} memory`);
  if (requires.cpuCores !== undefined) parts.push(`${requires.cpuCores} CPU cores`);
  return parts.join(', ');
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
