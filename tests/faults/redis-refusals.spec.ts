import { readAcks, useMesh } from '@mesh/mesh-harness';
import { GROUPS, PROTOCOL_EXAMPLES } from '@mesh/mesh-protocol';
import { eventually, TEST_REDIS_URL } from '@mesh/testing';
import { AclUser } from '@mesh/testing';

// Item 5 of issue 11: an error from XPENDING while reclaiming, during exactly the failovers a runner should ride
// out. The built runner connects as a Redis user of this test, which Redis refuses XPENDING for a while.

const t = useMesh('redis-refusals');
let user: AclUser;
beforeEach(() => {
  user = new AclUser();
});
afterEach(() => user.remove());

describe('a runner while Redis refuses XPENDING', () => {
  it('when Redis refuses XPENDING while a dead runner’s assignment waits to be reclaimed, the runner stays up and runs it once allowed, not giving it up', async () => {
    await user.create(t.ctx.prefix);
    const url = new URL(TEST_REDIS_URL);
    url.username = user.name;
    url.password = user.password;
    const stream = t.mesh.keys.assignments('refusals');
    // An assignment a runner that died had read: pending, delivered once.
    await t.ctx.redis.xgroup('CREATE', stream, GROUPS.runners, '0', 'MKSTREAM');
    const assignment = { ...PROTOCOL_EXAMPLES.assignment, domain: 'refusals', kind: 'echo', payload: { n: 1 } };
    await t.ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', JSON.stringify(assignment));
    await t.ctx.redis.xreadgroup('GROUP', GROUPS.runners, 'dead', 'COUNT', 1, 'STREAMS', stream, '>');

    await user.refuse(['xpending']);
    const runner = await t.mesh.runner('survivor', 'refusals', {
      REDIS_URL: url.href,
      // A lease long enough that the survivor, loaded, never loses the entry to itself once it runs it (a third
      // delivery would dead-letter it), short enough for many refused reclaim rounds (one each quarter lease).
      RUNNER_CLAIM_IDLE_MS: '1000',
      RUNNER_MAX_DELIVERIES: '2',
    });
    // Many refused reclaim rounds (Redis counts each refusal in its ACL log).
    await eventually(async () => {
      const log = (await t.ctx.redis.call('ACL', 'LOG', '128')) as Array<Array<string | number>>;
      const refused = log
        .filter((row) => row[row.indexOf('username') + 1] === user.name)
        .reduce((sum, row) => sum + Number(row[row.indexOf('count') + 1]), 0);
      return refused >= 5 ? true : undefined;
    });
    expect(runner.child.exitCode).toBeNull();
    await user.allow(['xpending']);

    const [ack] = await eventually(async () => {
      const acks = await readAcks(t.ctx.redis, t.mesh.keys.acks);
      return acks.length > 0 ? acks : undefined;
    });
    expect(ack).toMatchObject({ assignmentId: assignment.assignmentId, runnerId: 'survivor', success: true });
    expect(await t.ctx.redis.xlen(t.mesh.keys.dead)).toBe(0);
    await eventually(async () =>
      ((await t.ctx.redis.xpending(stream, GROUPS.runners)) as [number])[0] === 0 ? true : undefined,
    );
    expect(runner.child.exitCode).toBeNull();
    expect(runner.records.filter((r) => r['level'] === 'fatal')).toEqual([]);
  });
});
