import { GROUPS } from '@mesh/mesh-protocol';
import { useMesh } from '@mesh/mesh-harness';
import { AclUser, eventually, type ServiceProcess } from '@mesh/testing';

// The fan-out of the report (three runs of 3,000 tasks, about 10 s here): refusals hit batches, assignments and
// leases in flight.
const FAN_OUT = 3000;
const REFUSED = ['evalsha', 'eval', 'xclaim', 'xautoclaim'];

const t = useMesh('supervisor-refusals');

let acl: AclUser;
beforeEach(() => {
  acl = new AclUser();
});
afterEach(async () => {
  await acl.remove();
});

async function readyz(p: ServiceProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${p.port}/readyz`)).status;
}

/** Refusal failures the supervisor logged so far. */
function refusals(p: ServiceProcess): number {
  return p.records.filter((r) => JSON.stringify(r['err'] ?? '').includes('NOPERM')).length;
}

describe('supervisor under Redis refusals', () => {
  it(`when Redis refuses scripts and reclaims in three windows during a ${FAN_OUT}-task fan-out, every task still finishes and nothing stays pending`, async () => {
    const url = await acl.create(t.ctx.prefix);
    const sup = await t.mesh.supervisor('sup-1', { REDIS_URL: url });
    await t.mesh.runner('cpu-1', 'default', { RUNNER_CONCURRENCY: '32', REDIS_URL: url });
    await t.mesh.runner('cpu-2', 'default', { RUNNER_CONCURRENCY: '32', REDIS_URL: url });
    const tasks = [
      { id: 'root', kind: 'echo' },
      ...Array.from({ length: FAN_OUT - 1 }, (_, i) => ({ id: `t${i}`, kind: 'echo', dependsOn: ['root'] })),
    ];
    const runs = [await t.mesh.submit('fan', 'acme', tasks), await t.mesh.submit('fan', 'acme', tasks)];
    const state = t.mesh.state();
    const succeeded = async (): Promise<number> =>
      (await Promise.all(runs.map(async (id) => Number((await state.meta(id))['n:succeeded'] ?? 0)))).reduce(
        (a, b) => a + b,
        0,
      );

    // Three windows, each opened at a later point of the work. Each lasts until the supervisor hit the refusal
    // and /readyz said it cannot make progress (a second or more here), then Redis allows the commands again.
    for (const mark of [0, FAN_OUT / 2, FAN_OUT]) {
      await eventually(async () => ((await succeeded()) >= mark ? true : undefined), 120_000);
      const seen = refusals(sup);
      await acl.refuse(REFUSED);
      if (mark === 0) runs.push(await t.mesh.submit('fan', 'acme', tasks));
      await eventually(async () => (refusals(sup) > seen && (await readyz(sup)) === 503 ? true : undefined));
      await acl.allow(REFUSED);
      await eventually(async () => ((await readyz(sup)) === 200 ? true : undefined));
    }

    const ends = await t.mesh.allEnded(runs);
    expect(ends.map((e) => e.type)).toEqual(runs.map(() => 'run-succeeded'));
    for (const id of runs) {
      const record = await t.mesh.state().record(id);
      expect(record?.tasks.filter((task) => task.status !== 'succeeded')).toEqual([]);
    }
    // Nothing left behind: no unacked submission, report or assignment, no schedule entry, and /readyz is 200.
    await eventually(async () => {
      const pending = await Promise.all([
        ...[t.mesh.keys.workflows, t.mesh.keys.acks].map(
          async (k) => (await t.ctx.redis.xpending(k, GROUPS.supervisor))[0] as number,
        ),
        t.ctx.redis.xpending(t.mesh.keys.assignments('default'), GROUPS.runners).then((r) => r[0] as number),
      ]);
      return pending.every((n) => Number(n) === 0) ? true : undefined;
    });
    expect(await t.ctx.redis.zcard(t.mesh.keys.schedule)).toBe(0);
    expect(await readyz(sup)).toBe(200);
  }, 300_000);
});
