import { GROUPS } from '@mesh/mesh-protocol';
import { eventually, startServiceProcess } from '@mesh/testing';
import { DOMAIN, useRunnerDomain } from './runner-domain';

const d = useRunnerDomain('runner-recovery');

const ackedIds = async (): Promise<Set<string>> => new Set((await d.acks()).map((a) => a.assignmentId));

const heldBy = async (consumer: string): Promise<number> => {
  const rows = (await d.ctx.redis.xpending(
    d.keys.assignments(DOMAIN),
    GROUPS.runners,
    '-',
    '+',
    100,
    consumer,
  )) as unknown[];
  return rows.length;
};

describe('env runner recovery, as processes', () => {
  it('when a runner is killed while holding work, a second runner completes it after the claim timeout', async () => {
    const first = await startServiceProcess(
      'env-runner',
      d.env('doomed', { RUNNER_CONCURRENCY: '2', RUNNER_CLAIM_IDLE_MS: '300' }),
    );
    await d.publish(4, { kind: 'sleep', payload: { ms: 1500 } });
    await eventually(async () => ((await heldBy('doomed')) === 2 ? true : undefined));
    await first.stop('SIGKILL');

    const second = await startServiceProcess(
      'env-runner',
      d.env('survivor', { RUNNER_CONCURRENCY: '4', RUNNER_CLAIM_IDLE_MS: '300' }),
    );
    try {
      // Delivery is at least once: a reclaimed entry may be acked twice; none may be lost.
      const done = await eventually(async () => ((await ackedIds()).size >= 4 ? d.acks() : undefined));
      expect([...new Set(done.map((a) => a.assignmentId))].sort()).toEqual([
        'run:t0:1',
        'run:t1:1',
        'run:t2:1',
        'run:t3:1',
      ]);
      expect(new Set(done.map((a) => a.runnerId))).toEqual(new Set(['survivor']));
      expect(done.every((a) => a.success)).toBe(true);
      await eventually(async () =>
        ((await d.ctx.redis.xpending(d.keys.assignments(DOMAIN), GROUPS.runners)) as [number])[0] === 0
          ? true
          : undefined,
      );
    } finally {
      await second.stop();
    }
  });

  it('when SIGTERM arrives during work, in-flight work finishes and is acked, the rest is left for others, and nothing is lost', async () => {
    const first = await startServiceProcess(
      'env-runner',
      d.env('leaving', { RUNNER_CONCURRENCY: '2', RUNNER_SHUTDOWN_GRACE_MS: '5000' }),
    );
    await d.publish(5, { kind: 'sleep', payload: { ms: 400 } });
    await eventually(async () => ((await heldBy('leaving')) === 2 ? true : undefined));
    expect(await first.stop('SIGTERM')).toBe(0);
    const afterFirst = await d.acks();
    expect(afterFirst.length).toBeGreaterThanOrEqual(2);
    expect(afterFirst.every((a) => a.runnerId === 'leaving' && a.success)).toBe(true);
    expect(await heldBy('leaving')).toBe(0);

    const second = await startServiceProcess('env-runner', d.env('staying'));
    try {
      // Every assignment acked at least once (a duplicate is legal under at-least-once), none lost.
      const ids = await eventually(async () => {
        const acked = await ackedIds();
        return acked.size >= 5 ? acked : undefined;
      });
      expect([...ids].sort()).toEqual(['run:t0:1', 'run:t1:1', 'run:t2:1', 'run:t3:1', 'run:t4:1']);
    } finally {
      await second.stop();
    }
  });
});
