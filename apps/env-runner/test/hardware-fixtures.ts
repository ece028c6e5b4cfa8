import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HardwareSources } from '../src/hardware/sources';

const EIGHT_H100 = readFileSync(join(__dirname, 'fixtures', 'nvidia-smi-8xh100.csv'), 'utf8');

const base: Omit<HardwareSources, 'nvidiaSmi'> = {
  cpu: async () => ({ manufacturer: 'Intel', brand: 'Xeon Platinum 8480+', physicalCores: 112, cores: 224 }),
  mem: async () => ({ total: 2_164_663_517_184 }),
  osInfo: async () => ({
    platform: 'linux',
    distro: 'Ubuntu',
    release: '22.04',
    kernel: '5.15.0-105-generic',
    arch: 'x64',
    hostname: 'dgx-h100-01',
  }),
};

/** A DGX-style machine with eight NVIDIA H100s. */
export const eightH100: HardwareSources = { ...base, nvidiaSmi: async () => EIGHT_H100 };
/** A machine without nvidia-smi. */
export const noGpu: HardwareSources = { ...base, nvidiaSmi: async () => undefined };
/** nvidia-smi is installed but cannot talk to the driver. */
export const smiFails: HardwareSources = {
  ...base,
  nvidiaSmi: async () => {
    throw new Error("nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
  },
};
