import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createEnvRunnerHardwareMetrics, createEnvRunnerMetrics } from '@mesh/metrics-schema';
import { checkMetrics } from '@mesh/testing';
import { eightH100, noGpu, smiFails } from '../../test/hardware-fixtures';
import { HardwareCollector } from './collector';
import type { HardwareSources } from './sources';

const logger = createLogger({ service: 'env-runner', destination: new Writable({ write: (_c, _e, done) => done() }) });

function collector(sources: HardwareSources) {
  const registry = new Registry();
  const hardwareRegistry = new Registry();
  const changes: number[] = [];
  const c = new HardwareCollector({
    runnerId: 'dgx-1',
    sources,
    metrics: createEnvRunnerMetrics(registry),
    hardwareMetrics: createEnvRunnerHardwareMetrics(hardwareRegistry),
    logger,
    intervalMs: 0,
    now: () => 1_795_000_000_000,
    onChange: (s) => changes.push(s.gpus.length),
  });
  return {
    c,
    registry,
    hardwareRegistry,
    changes,
    metrics: () => Registry.merge([registry, hardwareRegistry]).metrics(),
  };
}

describe('hardware collector', () => {
  it('when the machine has eight H100s, the snapshot lists each with model, VRAM, driver and bus id, and /metrics series per GPU', async () => {
    const h = collector(eightH100);
    const s = await h.c.collect();
    expect(s.errors).toEqual([]);
    expect(s.gpus).toHaveLength(8);
    expect(s.gpus[7]).toEqual({
      index: 7,
      vendor: 'NVIDIA',
      model: 'NVIDIA H100 80GB HBM3',
      vramBytes: 81559 * 1024 * 1024,
      driver: '550.54.15',
      busId: '00000000:DB:00.0',
    });
    expect(s.cpu).toEqual({
      vendor: 'Intel',
      model: 'Xeon Platinum 8480+',
      physicalCores: 112,
      logicalCores: 224,
      arch: 'x64',
    });
    expect(s.memory).toEqual({ totalBytes: 2_164_663_517_184 });
    const text = await h.metrics();
    expect(text.match(/^env_runner_gpu_info\{/gm)).toHaveLength(8);
    expect(text).toContain(
      'env_runner_gpu_info{index="3",vendor="NVIDIA",model="NVIDIA H100 80GB HBM3",driver="550.54.15"} 1',
    );
    expect(text).toContain(`env_runner_gpu_memory_total_bytes{index="0"} ${81559 * 1024 * 1024}`);
    expect(text).toContain('env_runner_cpu_cores{type="logical"} 224');
    expect(checkMetrics(text)).toBe('');
  });

  it('when there is no nvidia-smi, the snapshot has no GPUs and no error', async () => {
    const h = collector(noGpu);
    const s = await h.c.collect();
    expect([s.gpus, s.errors]).toEqual([[], []]);
    expect(await h.metrics()).not.toMatch(/^env_runner_gpu_info\{/m);
  });

  it('when nvidia-smi fails, errors[] says so, the detection-error counter rises, and nothing throws', async () => {
    const h = collector(smiFails);
    const s = await h.c.collect();
    expect(s.gpus).toEqual([]);
    expect(s.errors).toEqual([
      "gpu: nvidia-smi failed: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    ]);
    expect(s.cpu).not.toBeNull();
    expect(await h.metrics()).toContain('env_runner_hardware_detection_errors_total{source="gpu"} 1');
  });

  it('when the hardware differs between snapshots, the change is counted and reported once', async () => {
    let sources: HardwareSources = eightH100;
    const h = collector({
      cpu: () => sources.cpu(),
      mem: () => sources.mem(),
      osInfo: () => sources.osInfo(),
      nvidiaSmi: () => sources.nvidiaSmi(),
    });
    await h.c.collect();
    await h.c.collect();
    expect(await h.metrics()).toContain('env_runner_hardware_changes_total 0');
    sources = noGpu;
    await h.c.collect();
    expect(await h.metrics()).toContain('env_runner_hardware_changes_total 1');
    expect(await h.metrics()).not.toMatch(/^env_runner_gpu_info\{/m);
    expect(h.changes).toEqual([0]);
  });

  it('when nvidia-smi prints a line it does not understand, that is a detection error, not a crash', async () => {
    const h = collector({ ...noGpu, nvidiaSmi: async () => 'garbage' });
    expect((await h.c.collect()).errors[0]).toMatch(/^gpu: nvidia-smi line not understood/);
  });
});
