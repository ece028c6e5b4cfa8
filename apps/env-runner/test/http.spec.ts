import { Writable } from 'node:stream';
import request from 'supertest';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createEnvRunnerHardwareMetrics, createEnvRunnerMetrics } from '@mesh/metrics-schema';
import { checkMetrics } from '@mesh/testing';
import { createApp } from '../src/app';
import { HardwareCollector } from '../src/hardware/collector';
import type { HardwareSources } from '../src/hardware/sources';
import { eightH100, smiFails } from './hardware-fixtures';

const logger = createLogger({ service: 'env-runner', destination: new Writable({ write: (_c, _e, done) => done() }) });

async function appWith(
  sources: HardwareSources,
  opts: { collect?: boolean; draining?: boolean; redisUp?: boolean } = {},
) {
  const registry = new Registry();
  const hardwareRegistry = new Registry();
  const metrics = createEnvRunnerMetrics(registry);
  const collector = new HardwareCollector({
    runnerId: 'dgx-1',
    sources,
    metrics,
    hardwareMetrics: createEnvRunnerHardwareMetrics(hardwareRegistry),
    logger,
    intervalMs: 0,
  });
  if (opts.collect !== false) await collector.collect();
  metrics.assignmentsProcessed.inc({ kind: 'echo' });
  return createApp({
    registry,
    hardwareRegistry,
    hardware: () => collector.latest(),
    logger,
    redisReady: async () => opts.redisUp ?? true,
    isDraining: () => opts.draining ?? false,
  });
}

describe('env runner HTTP', () => {
  it('when /hardware is asked on an 8×H100 machine, it returns cpu, memory, eight gpus, os, collectedAt and no errors', async () => {
    const res = await request(await appWith(eightH100)).get('/hardware');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['collectedAt', 'cpu', 'errors', 'gpus', 'memory', 'os', 'runnerId']);
    expect(res.body.gpus).toHaveLength(8);
    expect(res.body.gpus[0]).toMatchObject({
      index: 0,
      vendor: 'NVIDIA',
      model: 'NVIDIA H100 80GB HBM3',
      driver: '550.54.15',
    });
    expect(res.body.errors).toEqual([]);
  });

  it('when nvidia-smi failed, /hardware says so in errors[]', async () => {
    const res = await request(await appWith(smiFails)).get('/hardware');
    expect(res.body.errors).toEqual([expect.stringMatching(/^gpu: nvidia-smi failed/)]);
    expect(res.body.gpus).toEqual([]);
  });

  it('when hardware has not been collected yet, /hardware is a 503 JSON error, not an empty inventory', async () => {
    const res = await request(await appWith(eightH100, { collect: false })).get('/hardware');
    expect([res.status, res.body.error.code]).toEqual([503, 'MESH_UNAVAILABLE']);
  });

  it('when /prometheus and /metrics are scraped, both pass promtool and only /metrics inlines the hardware', async () => {
    const app = await appWith(eightH100);
    const prom = await request(app).get('/prometheus');
    const full = await request(app).get('/metrics');
    expect(checkMetrics(prom.text)).toBe('');
    expect(checkMetrics(full.text)).toBe('');
    expect(prom.text).toContain('env_runner_assignments_processed_total{kind="echo"} 1');
    expect(full.text).toContain('env_runner_assignments_processed_total{kind="echo"} 1');
    expect(prom.text).not.toContain('env_runner_gpu_info');
    expect(full.text.match(/^env_runner_gpu_info\{/gm)).toHaveLength(8);
    expect(full.text).toContain('env_runner_cpu_info{vendor="Intel",model="Xeon Platinum 8480+",arch="x64"} 1');
    expect(full.text).toContain('env_runner_memory_total_bytes 2164663517184');
  });

  it('when the runner drains or Redis is down, /readyz is 503 while /healthz stays 200', async () => {
    for (const opts of [{ draining: true }, { redisUp: false }]) {
      const app = await appWith(eightH100, opts);
      expect((await request(app).get('/readyz')).status).toBe(503);
      expect((await request(app).get('/healthz')).status).toBe(200);
    }
  });
});
