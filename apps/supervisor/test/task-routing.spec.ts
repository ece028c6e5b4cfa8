import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sample, useMesh } from '@mesh/mesh-harness';
import { eventually } from '@mesh/testing';

const t = useMesh('task-routing');
const FIXTURE = join(__dirname, '..', '..', 'env-runner', 'test', 'fixtures', 'nvidia-smi-8xh100.csv');

/** A folder holding an `nvidia-smi` that answers like a machine with eight H100s (put first on PATH). */
function fakeNvidiaSmi(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-nvidia-smi-'));
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\ncat '${FIXTURE}'\n`);
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

describe('tasks routed to the hardware they need', () => {
  let bin: string;
  beforeAll(() => (bin = fakeNvidiaSmi()));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('when tasks name a domain or require hardware, each runs where its rule sends it; one no runner can satisfy waits, is counted missing once and fails with the reason', async () => {
    const sup = await t.mesh.supervisor('sup-route', {
      MESH_TENANT_DOMAIN_MAP: 'acme=cpu',
      SUPERVISOR_DISPATCH_DEADLINE_MS: '3000',
    });
    await t.mesh.runner('cpu-1', 'cpu');
    await t.mesh.runner('gpu-1', 'gpu', { PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    // The gpu runner's registration carries its eight GPUs before anything is routed by them.
    await eventually(async () => {
      const reg = JSON.parse((await t.ctx.redis.hget(t.mesh.keys.runners, 'gpu-1')) ?? '{}') as {
        hardware?: { gpus?: unknown[] };
      };
      return reg.hardware?.gpus?.length === 8 ? true : undefined;
    });
    const runId = await t.mesh.submit('route', 'acme', [
      { id: 'plain' },
      { id: 'named', domain: 'gpu' },
      { id: 'needs-h100', requires: { gpu: { count: 2, model: 'h100' } } },
      { id: 'needs-memory', requires: { memoryBytes: 1024 } },
      { id: 'too-big', requires: { gpu: { count: 16 } } },
    ]);

    const waiting = await eventually(async () => {
      const task = (await t.mesh.state().record(runId))?.tasks.find((x) => x.id === 'too-big');
      return task?.waiting?.reason === 'no_runner' ? task : undefined;
    });
    expect(waiting).toMatchObject({ status: 'queued', route: 'requires', requires: { gpu: { count: 16 } } });
    expect(waiting.waiting?.message).toMatch(/^no live runner has what it requires \(16× GPU\) since /);

    expect((await t.mesh.finished(runId)).type).toBe('run-failed');
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((x) => [x.id, x.status, x.domain, x.route, x.runnerId])).toEqual([
      ['plain', 'succeeded', 'cpu', 'override', 'cpu-1'],
      ['named', 'succeeded', 'gpu', 'domain', 'gpu-1'],
      ['needs-h100', 'succeeded', 'gpu', 'requires', 'gpu-1'],
      // Both domains' runners have memory: the run's own route (cpu) is preferred.
      ['needs-memory', 'succeeded', 'cpu', 'requires', 'cpu-1'],
      ['too-big', 'failed', undefined, 'requires', undefined],
    ]);
    expect(record?.tasks[4]?.error).toBe('no live runner has what the task requires (16× GPU) within 3000 ms');
    expect(record?.runners['gpu-1']?.gpus).toHaveLength(8);
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="missing"}')).toBe(1);
  });
});
