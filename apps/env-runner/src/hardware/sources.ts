import { execFile } from 'node:child_process';
import si from 'systeminformation';

/**
 * Where hardware facts come from. Production reads systeminformation and nvidia-smi; tests feed
 * fixtures. Only local probes: nothing here touches the network.
 */
export interface HardwareSources {
  cpu(): Promise<{ manufacturer: string; brand: string; physicalCores: number; cores: number }>;
  mem(): Promise<{ total: number }>;
  osInfo(): Promise<{
    platform: string;
    distro: string;
    release: string;
    kernel: string;
    arch: string;
    hostname: string;
  }>;
  /** nvidia-smi's CSV answer, or undefined when nvidia-smi is not installed. Rejects when it fails. */
  nvidiaSmi(): Promise<string | undefined>;
}

/** The query the NVIDIA GPU parser expects (memory in MiB). */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,driver_version,pci.bus_id',
  '--format=csv,noheader,nounits',
];

export function runNvidiaSmi(timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile('nvidia-smi', NVIDIA_SMI_ARGS, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
      if (err) {
        const said = `${stdout}${stderr}`.trim().split('\n')[0]?.slice(0, 200);
        return reject(new Error(`nvidia-smi failed${said ? `: ${said}` : ` (${err.message})`}`));
      }
      resolve(stdout);
    });
  });
}

export const systemSources: HardwareSources = {
  cpu: () => si.cpu(),
  mem: () => si.mem(),
  osInfo: () => si.osInfo(),
  nvidiaSmi: () => runNvidiaSmi(),
};
