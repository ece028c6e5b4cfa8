import { networkInterfaces } from 'node:os';
import {
  createRedisTestContext,
  runServiceToExit,
  startServiceProcess,
  TEST_REDIS_URL,
  type RedisTestContext,
} from '@mesh/testing';
import type { ServiceProcess } from '@mesh/testing';

const TOKEN = 'startup-admin-token-0123456789';
/** An address of this machine other than loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

let ctx: RedisTestContext;
let proc: ServiceProcess | undefined;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-startup');
});
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
  await ctx.cleanup();
});

const env = (extra: Record<string, string>) => ({
  REDIS_URL: TEST_REDIS_URL,
  MESH_STREAM_PREFIX: ctx.prefix,
  ORCHESTRATOR_LISTEN: ':0',
  ...extra,
});

const reachable = (host: string, port: number) =>
  fetch(`http://${host}:${port}/healthz`).then(
    (r) => r.status,
    () => 'refused',
  );

describe('orchestrator start-up', () => {
  it('when MESH_API_TOKEN is too short, start-up stops with exit 2 and a line that states the rule, never the value', async () => {
    const { code, stderr, stdout } = await runServiceToExit('orchestrator', env({ MESH_API_TOKEN: 'tooshort42' }));
    expect(code).toBe(2);
    expect(stderr).toContain('MESH_API_TOKEN: must be at least 16 characters');
    expect(stderr + stdout).not.toContain('tooshort42');
  });

  it('when no token is configured, it listens on loopback only and says so in a warning at start-up', async () => {
    proc = await startServiceProcess('orchestrator', env({}));
    const warning = proc.records.find((r) => /API token/.test(String(r['msg'])));
    expect(warning).toMatchObject({ level: 'warn', listen: '127.0.0.1:0', configured: ':0' });
    expect(warning?.['msg']).toMatch(/no API token is configured .*loopback only/);
    expect(proc.records.find((r) => r['msg'] === 'listening')).toMatchObject({ listen: '127.0.0.1:0', auth: 'none' });
    expect(await reachable('127.0.0.1', proc.port)).toBe(200);
    if (external) expect(await reachable(external, proc.port)).toBe('refused');
  });

  it('when a token is configured, it listens where configured, with no warning, and the token never reaches a log line', async () => {
    proc = await startServiceProcess('orchestrator', env({ MESH_API_TOKEN: TOKEN, LOG_LEVEL: 'debug' }));
    expect(proc.records.filter((r) => /API token|loopback/.test(String(r['msg'])))).toEqual([]);
    expect(proc.records.find((r) => r['msg'] === 'listening')).toMatchObject({ listen: ':0', auth: 'bearer' });
    if (external) expect(await reachable(external, proc.port)).toBe(200);
    for (const token of [TOKEN, `${TOKEN}-wrong`]) {
      const res = await fetch(`http://127.0.0.1:${proc.port}/workflows/etl/runs`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await res.text()).not.toContain(TOKEN);
    }
    await proc.stop();
    expect(JSON.stringify(proc.records) + proc.stderr()).not.toContain(TOKEN);
  });
});
