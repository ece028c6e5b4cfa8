import type { Logger } from '@mesh/logging';
import type { EnvRunnerHardwareMetrics, EnvRunnerMetrics } from '@mesh/metrics-schema';
import { parseNvidiaSmi } from './nvidia';
import type { HardwareSources } from './sources';
import { machineOf, type HardwareSource, type RunnerHardware } from './snapshot';

export interface HardwareCollectorOptions {
  readonly runnerId: string;
  readonly sources: HardwareSources;
  readonly metrics: Pick<EnvRunnerMetrics, 'hardwareDetectionErrors' | 'hardwareChanges'>;
  readonly hardwareMetrics: EnvRunnerHardwareMetrics;
  readonly logger: Logger;
  /** Re-collection interval in ms; 0 collects only at start. */
  readonly intervalMs: number;
  readonly now?: () => number;
  /** Called after a collection whose machine differs from the previous one (not on the first). */
  readonly onChange?: (snapshot: RunnerHardware) => void;
}

/**
 * Collects the runner's hardware at start and then on an interval, off the request path: requests
 * read the cached snapshot. A probe that fails leaves an entry in `errors[]` and a count in
 * env_runner_hardware_detection_errors_total; it never throws.
 */
export class HardwareCollector {
  private snapshot: RunnerHardware | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RunnerHardware> | undefined;

  constructor(private readonly o: HardwareCollectorOptions) {}

  latest(): RunnerHardware | undefined {
    return this.snapshot;
  }

  /** Collects now (concurrent callers share one collection). */
  collect(): Promise<RunnerHardware> {
    this.running ??= this.collectOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /** First collection, then one per interval. */
  async start(): Promise<RunnerHardware> {
    const first = await this.collect();
    if (this.o.intervalMs > 0) {
      // A periodic collection that fails (e.g. an onChange callback throwing) is logged; the next one retries.
      this.timer = setInterval(
        () =>
          void this.collect().catch((err: unknown) =>
            this.o.logger.error({ err }, 'hardware collection failed; retrying at the next interval'),
          ),
        this.o.intervalMs,
      );
      this.timer.unref();
    }
    return first;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async collectOnce(): Promise<RunnerHardware> {
    const errors: string[] = [];
    const probe = async <T>(source: HardwareSource, read: () => Promise<T>): Promise<T | null> => {
      try {
        return await read();
      } catch (err) {
        errors.push(`${source}: ${(err as Error).message}`);
        this.o.metrics.hardwareDetectionErrors.inc({ source });
        return null;
      }
    };
    const [cpu, memory, gpus, os] = await Promise.all([
      probe('cpu', async () => {
        const [c, o] = await Promise.all([this.o.sources.cpu(), this.o.sources.osInfo()]);
        return {
          vendor: c.manufacturer,
          model: c.brand,
          physicalCores: c.physicalCores,
          logicalCores: c.cores,
          arch: o.arch,
        };
      }),
      probe('memory', async () => ({ totalBytes: (await this.o.sources.mem()).total })),
      probe('gpu', async () => {
        const csv = await this.o.sources.nvidiaSmi();
        return csv === undefined ? [] : parseNvidiaSmi(csv);
      }),
      probe('os', async () => {
        const o = await this.o.sources.osInfo();
        return { platform: o.platform, distro: o.distro, release: o.release, kernel: o.kernel, hostname: o.hostname };
      }),
    ]);
    const snapshot: RunnerHardware = {
      runnerId: this.o.runnerId,
      cpu,
      memory,
      gpus: gpus ?? [],
      os,
      collectedAt: (this.o.now ?? Date.now)(),
      errors,
    };
    const previous = this.snapshot;
    this.snapshot = snapshot;
    this.publish(snapshot);
    if (errors.length > 0) this.o.logger.warn({ errors }, 'hardware detection incomplete');
    if (previous && machineOf(previous) !== machineOf(snapshot)) {
      this.o.metrics.hardwareChanges.inc();
      this.o.logger.warn({ before: previous, after: snapshot }, 'hardware changed');
      this.o.onChange?.(snapshot);
    }
    return snapshot;
  }

  /** Rewrites the hardware series so they show exactly this snapshot. */
  private publish(s: RunnerHardware): void {
    const m = this.o.hardwareMetrics;
    for (const gauge of [m.cpuInfo, m.cpuCores, m.memoryTotalBytes, m.gpuInfo, m.gpuMemoryTotalBytes]) gauge.reset();
    if (s.cpu) {
      m.cpuInfo.set({ vendor: label(s.cpu.vendor), model: label(s.cpu.model), arch: label(s.cpu.arch) }, 1);
      m.cpuCores.set({ type: 'physical' }, s.cpu.physicalCores);
      m.cpuCores.set({ type: 'logical' }, s.cpu.logicalCores);
    }
    if (s.memory) m.memoryTotalBytes.set(s.memory.totalBytes);
    for (const gpu of s.gpus) {
      const index = String(gpu.index);
      m.gpuInfo.set({ index, vendor: label(gpu.vendor), model: label(gpu.model), driver: label(gpu.driver) }, 1);
      if (gpu.vramBytes !== null) m.gpuMemoryTotalBytes.set({ index }, gpu.vramBytes);
    }
    m.hardwareCollectedTimestamp.set(s.collectedAt / 1000);
  }
}

/** Hardware strings as label values: trimmed, bounded, never empty. */
function label(value: string | null): string {
  const text = (value ?? '')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .trim()
    .slice(0, 128);
  return text === '' ? 'unknown' : text;
}
