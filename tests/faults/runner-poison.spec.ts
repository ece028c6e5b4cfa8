import { MeshHarness, readAcks, sample } from '@mesh/mesh-harness';
import { createKeys, decodeEntry, GROUPS, PROTOCOL_EXAMPLES, type MeshKeys } from '@mesh/mesh-protocol';
import {
  createRedisTestContext,
  eventually,
  startServiceProcess,
  TEST_REDIS_URL,
  type RedisTestContext,
  type ServiceProcess,
} from '@mesh/testing';

const DOMAIN = 'poison';
const MB = 1024 * 1024;
const UUID = '3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33';

let ctx: RedisTestContext;
let keys: MeshKeys;
const procs: ServiceProcess[] = [];

beforeEach(() => {
  ctx = createRedisTestContext('fault-runner-poison');
  keys = createKeys(ctx.prefix);
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGTERM')));
  await ctx.cleanup();
});

async function runner(id: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await startServiceProcess('env-runner', {
    REDIS_URL: TEST_REDIS_URL,
    RUNNER_LISTEN: '127.0.0.1:0',
    MESH_STREAM_PREFIX: ctx.prefix,
    MESH_DOMAIN: DOMAIN,
    RUNNER_ID: id,
    RUNNER_BLOCK_MS: '200',
    RUNNER_CLAIM_IDLE_MS: '300',
    RUNNER_HARDWARE_INTERVAL_MS: '0',
    ...env,
  });
  procs.push(p);
  return p;
}

const assignment = (id: string, over: Record<string, unknown> = {}): string =>
  JSON.stringify({ ...PROTOCOL_EXAMPLES.assignment, domain: DOMAIN, assignmentId: id, taskId: id, ...over });

/** Writes one entry with exactly these fields (strings or raw bytes); returns its id. */
async function xadd(...fields: Array<string | Buffer>): Promise<string> {
  return (await ctx.redis.xadd(keys.assignments(DOMAIN), '*', ...fields)) as string;
}

/** Entries no v1 reader can accept: each must end on mesh:dead with this reason. */
async function writeUnreadable(): Promise<Map<string, string>> {
  const dead = new Map<string, string>();
  const add = async (reason: string, ...fields: Array<string | Buffer>) => dead.set(await xadd(...fields), reason);
  await add('malformed_json', 'v', '1', 'assignment', '{"assignmentId": 42');
  await add('malformed_json', 'v', '1', 'assignment', 'x'.repeat(MB));
  await add('malformed_json', 'v', '1', 'assignment', Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28, 0x80]));
  await add('unsupported_version', 'v', '2', 'assignment', assignment('v2'));
  await add('unsupported_version', 'assignment', assignment('no-v'));
  await add('invalid_message', 'v', '1', 'submission', assignment('wrong-field'));
  await add('invalid_message', 'v', '1', 'assignment', 'null');
  await add('invalid_message', 'v', '1', 'assignment', '[1,2,3]');
  const { kind: _kind, ...noKind } = { ...PROTOCOL_EXAMPLES.assignment, assignmentId: 'no-kind' };
  await add('invalid_message', 'v', '1', 'assignment', JSON.stringify(noKind));
  await add('invalid_message', 'v', '1', 'assignment', assignment('huge-kind', { kind: 'k'.repeat(MB) }));
  await add('invalid_message', 'v', '1', 'assignment', assignment('huge-id', { assignmentId: 'i'.repeat(MB) }));
  await add('invalid_message', 'v', '1', 'assignment', assignment('bad-attempt', { attempt: '1; DROP' }));
  // Invalid UTF-8 inside a JSON string: the kind arrives with a replacement character, which is not a name.
  const [before, after] = assignment('utf8-kind', { kind: 'KIND' }).split('KIND') as [string, string];
  const badUtf8Kind = Buffer.concat([
    Buffer.from(`${before}ec`),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from(`ho${after}`),
  ]);
  await add('invalid_message', 'v', '1', 'assignment', badUtf8Kind);
  return dead;
}

describe('poison entries on the assignments stream, against a built runner', () => {
  it('when poison entries arrive, each is dead-lettered with its reason, acked and counted; valid but hostile ones are acked as failures; the runner stays up and healthy work flows', async () => {
    // A lease long enough that entries still being decoded are not reclaimed by this runner itself.
    const r = await runner('poisoned', { RUNNER_CONCURRENCY: '4', RUNNER_CLAIM_IDLE_MS: '3000' });
    const dead = await writeUnreadable();
    // Valid per the protocol, hostile to a reader: UUID-shaped kind and ids, an unknown kind, a 1 MB payload,
    // a payload nested 100,000 levels deep. Each is executed (or refused by kind) and acked, not dead-lettered.
    await xadd('v', '1', 'assignment', assignment('uuid-kind', { kind: UUID }));
    await xadd(
      'v',
      '1',
      'assignment',
      assignment(UUID, { runId: UUID, workflow: `wf-${UUID}`, taskId: `t-${UUID}`, tenant: UUID, kind: 'echo' }),
    );
    await xadd('v', '1', 'assignment', assignment('unknown-kind', { kind: 'teleport' }));
    await xadd('v', '1', 'assignment', assignment('big-payload', { kind: 'echo', payload: { blob: 'b'.repeat(MB) } }));
    await xadd(
      'v',
      '1',
      'assignment',
      assignment('deep-payload', { kind: 'echo' }).replace(
        '"payload":',
        `"payload":${'['.repeat(100_000)}${']'.repeat(100_000)},"was":`,
      ),
      'extra',
      'e'.repeat(MB),
    );
    await xadd('v', '1', 'assignment', assignment('healthy', { kind: 'echo', payload: { ok: true } }));

    const acks = await eventually(async () => {
      const all = await readAcks(ctx.redis, keys.acks);
      return new Set(all.map((a) => a.assignmentId)).size >= 6 ? all : undefined;
    });
    const byId = Object.fromEntries(acks.map((a) => [a.assignmentId, a]));
    expect(Object.keys(byId).sort()).toEqual(
      [UUID, 'big-payload', 'deep-payload', 'healthy', 'unknown-kind', 'uuid-kind'].sort(),
    );
    expect([byId['uuid-kind']?.success, byId['uuid-kind']?.error]).toEqual([
      false,
      `unknown task kind "${UUID}" (this runner has: sleep, echo, fail)`,
    ]);
    expect(byId['unknown-kind']?.success).toBe(false);
    expect([byId[UUID]?.success, byId[UUID]?.taskId]).toEqual([true, `t-${UUID}`]);
    // Outputs over RUNNER_OUTPUT_LIMIT_BYTES, or that cannot be serialised, are bounded, not sent whole.
    expect(byId['big-payload']?.output).toMatchObject({ truncated: true });
    expect(byId['deep-payload']?.success).toBe(true);
    expect(JSON.stringify(byId['deep-payload']?.output).length).toBeLessThan(64 * 1024);
    expect([byId['healthy']?.success, byId['healthy']?.output]).toEqual([true, { ok: true }]);

    // Every unreadable entry, and nothing else, is on mesh:dead with its reason and original id (at least once:
    // an entry reclaimed while it was being dead-lettered is dead-lettered again).
    const letters = await eventually(async () => {
      const all = (await ctx.redis.xrange(keys.dead, '-', '+')).map(([, f]) => decodeEntry('dead', f));
      return new Set(all.map((l) => (l.ok ? l.message.entryId : '?'))).size >= dead.size ? all : undefined;
    });
    const got = new Map(letters.map((l) => (l.ok ? [l.message.entryId, l.message.reason] : ['?', l.detail])));
    expect(got).toEqual(dead);
    for (const l of letters) if (l.ok) expect(l.message).toMatchObject({ group: GROUPS.runners, consumer: 'poisoned' });

    // Nothing is left pending; the process is up and ready; the counters say what happened.
    await eventually(async () =>
      ((await ctx.redis.xpending(keys.assignments(DOMAIN), GROUPS.runners)) as [number])[0] === 0 ? true : undefined,
    );
    expect(r.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${r.port}/readyz`)).status).toBe(200);
    // Nothing is pending, so no more dead letters come: the counters match those written, reason by reason.
    const written = (await ctx.redis.xrange(keys.dead, '-', '+')).map(([, f]) => decodeEntry('dead', f));
    const count = (reason: string) => written.filter((l) => l.ok && l.message.reason === reason).length;
    const reasons = ['malformed_json', 'unsupported_version', 'invalid_message'];
    const counted = (text: string) =>
      reasons.map((reason) => [reason, sample(text, `env_runner_dead_letters_total{reason="${reason}"}`)]);
    const text = await eventually(async () => {
      const t = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
      return counted(t).every(([reason, n]) => n === count(reason as string)) ? t : undefined;
    }).catch(async () => (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text());
    expect(counted(text)).toEqual(reasons.map((reason) => [reason, count(reason)]));
    expect(text).toContain('env_runner_dead_letters_total{reason="delivery_limit"} 0');
    expect(sample(text, 'env_runner_assignments_failed_total{kind="_other",reason="unknown_kind"}')).toBe(2);
    expect(sample(text, 'env_runner_assignments_processed_total{kind="echo"}')).toBe(4);
    expect(text).not.toContain(UUID);
    expect(r.records.filter((l) => Number(l['level']) >= 50)).toEqual([]);
  });

  it('when mesh:runners holds malformed registrations, the runner starts and works, and on SIGTERM removes only its own', async () => {
    const garbage: Record<string, string> = {
      'not-json': '{"runnerId": ',
      huge: 'x'.repeat(MB),
      'wrong-shape': JSON.stringify({ runnerId: 42, domain: ['a'], lastSeen: 'yesterday' }),
      [UUID]: JSON.stringify({ runnerId: UUID, domain: DOMAIN, startedAt: 0, lastSeen: 0, hardware: null }),
      // A registration under this runner's own id, left by a broken writer: the runner overwrites it.
      'reg-runner': '\u0000\ufffd',
    };
    await ctx.redis.hset(keys.runners, garbage);
    const r = await runner('reg-runner');
    const own = await eventually(async () => {
      const raw = await ctx.redis.hget(keys.runners, 'reg-runner');
      return raw?.startsWith('{') ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    });
    expect(own).toMatchObject({ runnerId: 'reg-runner', domain: DOMAIN });
    await xadd('v', '1', 'assignment', assignment('healthy', { kind: 'echo', payload: 1 }));
    const [ack] = await eventually(async () => {
      const all = await readAcks(ctx.redis, keys.acks);
      return all.length > 0 ? all : undefined;
    });
    expect([ack?.assignmentId, ack?.success]).toEqual(['healthy', true]);
    expect(await r.stop('SIGTERM')).toBe(0);
    const { 'reg-runner': _own, ...others } = garbage;
    expect(await ctx.redis.hgetall(keys.runners)).toEqual(others);
  });

  it('when an entry with a UUID-shaped kind is left by a runner that died, the runner that reclaims it acks it and stays up', async () => {
    // The entry is delivered to a consumer that never acks (a crashed runner), so it reaches this runner by XAUTOCLAIM.
    await ctx.redis.xgroup('CREATE', keys.assignments(DOMAIN), GROUPS.runners, '0', 'MKSTREAM');
    await xadd('v', '1', 'assignment', assignment('uuid-kind', { kind: UUID }));
    await ctx.redis.xreadgroup(
      'GROUP',
      GROUPS.runners,
      'crashed',
      'COUNT',
      10,
      'STREAMS',
      keys.assignments(DOMAIN),
      '>',
    );
    const r = await runner('reclaimer');
    await xadd('v', '1', 'assignment', assignment('healthy', { kind: 'echo' }));
    const acks = await eventually(async () => {
      const all = await readAcks(ctx.redis, keys.acks);
      return new Set(all.map((a) => a.assignmentId)).size >= 2 ? all : undefined;
    });
    expect(Object.fromEntries(acks.map((a) => [a.assignmentId, [a.success, a.runnerId]]))).toEqual({
      'uuid-kind': [false, 'reclaimer'],
      healthy: [true, 'reclaimer'],
    });
    await eventually(async () =>
      ((await ctx.redis.xpending(keys.assignments(DOMAIN), GROUPS.runners)) as [number])[0] === 0 ? true : undefined,
    );
    expect(r.child.exitCode).toBeNull();
    const text = await (await fetch(`http://127.0.0.1:${r.port}/prometheus`)).text();
    expect(sample(text, 'env_runner_assignments_failed_total{kind="_other",reason="unknown_kind"}')).toBe(1);
    expect(r.records.filter((l) => Number(l['level']) >= 50)).toEqual([]);
  });
});

describe('a UUID-shaped task kind through the whole mesh', () => {
  let mesh: MeshHarness;
  beforeEach(() => {
    mesh = new MeshHarness(ctx);
  });
  afterEach(() => mesh.stopAll());

  it('when a run has a task whose kind is a UUID, that task fails as an unknown kind, every runner of the domain stays up, and later runs succeed', async () => {
    const sup = await mesh.supervisor('sup-1');
    const fast = { RUNNER_CLAIM_IDLE_MS: '300', RUNNER_MAX_DELIVERIES: '2' };
    const runners = [await mesh.runner('east-1', 'default', fast), await mesh.runner('east-2', 'default', fast)];
    const hostile = await mesh.submit(`wf-${UUID}`, 'acme', [
      { id: 'odd', kind: UUID },
      { id: 'fine', kind: 'echo', payload: 'ok' },
    ]);
    const failed = await mesh.finished(hostile);
    expect([failed.type, failed.error]).toEqual([
      'run-failed',
      `task odd: unknown task kind "${UUID}" (this runner has: sleep, echo, fail)`,
    ]);
    const record = await mesh.state().record(hostile);
    expect(record?.tasks.map((x) => [x.id, x.status])).toEqual([
      ['odd', 'failed'],
      ['fine', 'succeeded'],
    ]);

    const later = await mesh.submit('etl', 'acme', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    expect((await mesh.finished(later)).type).toBe('run-succeeded');
    for (const r of runners) {
      expect(r.child.exitCode).toBeNull();
      expect(r.records.filter((l) => Number(l['level']) >= 50)).toEqual([]);
      expect(await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text()).not.toContain(UUID);
    }
    const text = await mesh.metrics(sup);
    expect(text).not.toContain(UUID);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="_invalid",outcome="failure"}')).toBe(1);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="etl",outcome="success"}')).toBe(1);
    expect(await ctx.redis.xlen(keys.dead)).toBe(0);
    await eventually(async () =>
      ((await ctx.redis.xpending(keys.assignments('default'), GROUPS.runners)) as [number])[0] === 0 ? true : undefined,
    );
  });
});
