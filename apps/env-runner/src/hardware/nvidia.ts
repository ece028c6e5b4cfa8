import type { GpuInfo } from './snapshot';

const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=index,name,memory.total,driver_version,pci.bus_id --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of csv.split('\n')) {
    if (line.trim() === '') continue;
    const [index, name, memory, driver, busId] = line.split(',').map((s) => s.trim());
    const idx = Number(index);
    const mib = Number(memory);
    if (!Number.isInteger(idx) || !name)
      throw new Error(`nvidia-smi line not understood: ${JSON.stringify(line.slice(0, 120))}`);
    gpus.push({
      index: idx,
      vendor: 'NVIDIA',
      model: name,
      vramBytes: Number.isFinite(mib) ? mib * MIB : null,
      driver: driver && driver !== '[N/A]' ? driver : null,
      busId: busId ?? null,
    });
  }
  return gpus;
}
