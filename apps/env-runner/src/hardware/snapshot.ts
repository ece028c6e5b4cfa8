/** One GPU as the runner reports it. Unknown facts are null, never guessed. */
export interface GpuInfo {
  readonly index: number;
  readonly vendor: string;
  readonly model: string;
  readonly vramBytes: number | null;
  readonly driver: string | null;
  readonly busId: string | null;
}

/** What `/hardware` serves and the runner registers: the latest auto-detected inventory. */
export interface RunnerHardware {
  readonly runnerId: string;
  readonly cpu: {
    readonly vendor: string;
    readonly model: string;
    readonly physicalCores: number;
    readonly logicalCores: number;
    readonly arch: string;
  } | null;
  readonly memory: { readonly totalBytes: number } | null;
  readonly gpus: readonly GpuInfo[];
  readonly os: {
    readonly platform: string;
    readonly distro: string;
    readonly release: string;
    readonly kernel: string;
    readonly hostname: string;
  } | null;
  readonly collectedAt: number;
  /** What could not be detected, e.g. `gpu: nvidia-smi failed: …`; empty when everything was. */
  readonly errors: readonly string[];
}

export type HardwareSource = 'cpu' | 'memory' | 'gpu' | 'os';

/** The part of a snapshot that describes the machine (not when or how it was read). */
export function machineOf(s: RunnerHardware): string {
  return JSON.stringify([s.cpu, s.memory, s.gpus, s.os]);
}
