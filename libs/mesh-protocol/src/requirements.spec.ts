import type { HardwareSnapshot } from './messages/common';
import { describeRequirements, satisfies } from './requirements';

const h100x2: HardwareSnapshot = {
  runnerId: 'gpu-1',
  cpu: { logicalCores: 32 },
  memory: { totalBytes: 512 * 2 ** 30 },
  gpus: [
    { index: 0, vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3' },
    { index: 1, vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3' },
  ],
};
const cpuOnly: HardwareSnapshot = {
  runnerId: 'cpu-1',
  cpu: { logicalCores: 2 },
  memory: { totalBytes: 8 * 2 ** 30 },
  gpus: [],
};

describe('task requirements', () => {
  it('when a runner reports enough GPUs of a model (matched case-insensitively within the name), memory and cores, it satisfies them', () => {
    expect(satisfies(h100x2, { gpu: { count: 2, model: 'h100' } })).toBe(true);
    expect(satisfies(h100x2, { gpu: {} })).toBe(true);
    expect(satisfies(h100x2, { gpu: { count: 3 } })).toBe(false);
    expect(satisfies(h100x2, { gpu: { model: 'A100' } })).toBe(false);
    expect(satisfies(h100x2, { memoryBytes: 512 * 2 ** 30, cpuCores: 32 })).toBe(true);
    expect(satisfies(h100x2, { memoryBytes: 512 * 2 ** 30 + 1 })).toBe(false);
    expect(satisfies(cpuOnly, { gpu: {} })).toBe(false);
    expect(satisfies(cpuOnly, { cpuCores: 4 })).toBe(false);
    // Every field must hold; a runner that reported no hardware satisfies nothing.
    expect(satisfies(h100x2, { gpu: { count: 1 }, cpuCores: 64 })).toBe(false);
    expect(satisfies(undefined, { cpuCores: 1 })).toBe(false);
    expect(satisfies({ runnerId: 'x' }, { memoryBytes: 1 })).toBe(false);
  });

  it('when requirements are described, they read as the client words them', () => {
    expect(describeRequirements({ gpu: { count: 2, model: 'H100' }, memoryBytes: 64 * 2 ** 30, cpuCores: 8 })).toBe(
      '2× H100 GPU, 64 GiB memory, 8 CPU cores',
    );
    expect(describeRequirements({ gpu: {} })).toBe('1× GPU');
    expect(describeRequirements({ memoryBytes: 1536 })).toBe('1.5 KiB memory');
  });
});
