import { readAcks } from '@mesh/mesh-harness';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeys, PROTOCOL_EXAMPLES, type Ack, type Assignment, type MeshKeys } from '@mesh/mesh-protocol';
import {
  createRedisTestContext,
  describeServiceLifecycle,
  eventually,
  runServiceToExit,
  startServiceProcess,
  TEST_REDIS_URL,
  type RedisTestContext,
} from '@mesh/testing';

describeServiceLifecycle({
  app: 'env-runner',
  listenEnv: 'RUNNER_LISTEN',
  metricsPaths: ['/prometheus', '/metrics'],
  env: () => ({ MESH_STREAM_PREFIX: `test:env-runner-proc-${process.pid}`, RUNNER_ID: 'runner-proc-test' }),
});

const DOMAIN = 'batch';
let ctx: RedisTestContext;
let keys: MeshKeys;

beforeEach(() => {
  ctx = createRedisTestContext('runner-proc');
  keys = createKeys(ctx.prefix);
});
afterEach(() => ctx.cleanup());

const env = (runnerId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_URL: TEST_REDIS_URL,
  RUNNER_LISTEN: '127.0.0.1:0',
  MESH_STREAM_PREFIX: ctx.prefix,
  MESH_DOMAIN: DOMAIN,
  RUNNER_ID: runnerId,
  RUNNER_BLOCK_MS: '200',
  RUNNER_HARDWARE_INTERVAL_MS: '0',
  ...extra,
});

async function publish(count: number, over: Partial<Assignment>): Promise<void> {
  for (let i = 0; i < count; i++) {
    const a = {
      ...PROTOCOL_EXAMPLES.assignment,
      domain: DOMAIN,
      assignmentId: `run:t${i}:1`,
      taskId: `t${i}`,
      ...over,
    };
    await ctx.redis.xadd(keys.assignments(DOMAIN), '*', 'v', '1', 'assignment', JSON.stringify(a));
  }
}

async function acks(): Promise<Ack[]> {
  return readAcks(ctx.redis, keys.acks);
}

describe('env runner process', () => {
  it('when started, it registers in mesh:runners with its domain and hardware, and deregisters on SIGTERM', async () => {
    const runner = await startServiceProcess('env-runner', env('reg-1'));
    const record = JSON.parse(
      (await eventually(() => ctx.redis.hget(keys.runners, 'reg-1').then((v) => v ?? undefined))) as string,
    );
    expect(record).toMatchObject({ runnerId: 'reg-1', domain: DOMAIN, kinds: ['sleep', 'echo', 'fail'] });
    expect(record.hardware.cpu.logicalCores).toBeGreaterThan(0);
    expect(record.lastSeen).toBeGreaterThanOrEqual(record.startedAt);
    expect(await runner.stop('SIGTERM')).toBe(0);
    expect(await ctx.redis.hexists(keys.runners, 'reg-1')).toBe(0);
  });

  it('when RUNNER_HANDLERS_MODULE adds a kind, assignments of that kind run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-handlers-'));
    const mod = join(dir, 'handlers.js');
    writeFileSync(
      mod,
      "exports.handlers = [{ kind: 'upper', validate: (p) => (typeof p?.text === 'string' ? [] : ['payload.text must be a string']), run: async (p) => p.text.toUpperCase() }];\n",
    );
    const runner = await startServiceProcess('env-runner', env('custom', { RUNNER_HANDLERS_MODULE: mod }));
    try {
      await publish(1, { kind: 'upper', payload: { text: 'mesh' } });
      await publish(1, { kind: 'upper', payload: { text: 7 }, assignmentId: 'run:bad:1' });
      const done = await eventually(async () => ((await acks()).length >= 2 ? acks() : undefined));
      // Both run at once, so their acks may come in either order.
      const byId = Object.fromEntries(done.map((a) => [a.assignmentId, [a.success, a.output ?? a.error]]));
      expect(byId).toEqual({
        'run:t0:1': [true, 'MESH'],
        'run:bad:1': [false, 'invalid payload for upper: payload.text must be a string'],
      });
    } finally {
      await runner.stop();
    }
  });

  it('when MESH_SERVICES_FILE is valid, the manifest is echoed at start-up; when invalid, start-up stops with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-manifest-'));
    const good = join(dir, 'mesh-services.json');
    const manifest = {
      version: 1,
      streamPrefix: 'mesh',
      services: [
        { name: 'env-runner', host: 'rust-env-runner', port: 8083, metricsPath: '/prometheus', domain: 'batch' },
      ],
      domains: ['batch'],
      tenantOverrides: [{ tenant: 'acme', domain: 'batch' }],
    };
    writeFileSync(good, JSON.stringify(manifest));
    const runner = await startServiceProcess('env-runner', env('audited', { MESH_SERVICES_FILE: good }));
    await runner.stop();
    expect(runner.records.find((r) => r['msg'] === 'mesh manifest')).toMatchObject({ manifest, file: good });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...manifest, services: [] }));
    const result = await runServiceToExit('env-runner', env('audited', { MESH_SERVICES_FILE: bad }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `env-runner: invalid configuration: MESH_SERVICES_FILE: ${bad} is not a mesh manifest: /services: must NOT have fewer than 1 items`,
    ]);
  });

  it('when MESH_DOMAIN is not a name, start-up stops naming it', async () => {
    const result = await runServiceToExit('env-runner', { ...env('x'), MESH_DOMAIN: 'gpu:east' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MESH_DOMAIN: "gpu:east" is not a name');
  });
});
