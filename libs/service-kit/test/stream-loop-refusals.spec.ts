import { Writable } from 'node:stream';
import { createLogger } from '@mesh/logging';
import {
  createKeys,
  PROTOCOL_EXAMPLES,
  RedisStreamConsumer,
  StreamPublisher,
  type ConsumedEntry,
  type Ack,
} from '@mesh/mesh-protocol';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { StreamLoop } from '../src';
import { AclUser } from '@mesh/testing';

let ctx: RedisTestContext;
let user: AclUser;
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);

beforeEach(async () => {
  ctx = createRedisTestContext('stream-loop');
  user = new AclUser();
  await user.create(ctx.prefix);
  process.on('unhandledRejection', onRejection);
});
afterEach(async () => {
  process.off('unhandledRejection', onRejection);
  await user.remove();
  await ctx.cleanup();
});

describe('stream loop under Redis refusals', () => {
  it('when Redis refuses reads, reclaims and acks for a while, the loop logs a bounded number of lines, never rejects, and then processes everything', async () => {
    const keys = createKeys(ctx.prefix);
    const lines: string[] = [];
    const logger = createLogger({
      service: 'test',
      destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    });
    const handled = new Set<string>();
    const consumer = new RedisStreamConsumer('ack', {
      blocking: user.connect(),
      commands: user.connect(),
      stream: keys.acks,
      group: 'supervisor',
      consumer: 'c1',
      deadStream: keys.dead,
      blockMs: 50,
      claimIdleMs: 50,
      retryBaseMs: 10,
      retryCapMs: 20,
      // Longer than any run of this test: the bound on lines below does not depend on how long refusals last.
      errorIntervalMs: 600_000,
      onError: (err) => logger.warn({ err }, 'reading acks failed; retrying'),
    });
    await consumer.ensureGroup();
    // One entry left pending by a consumer that died, so the reclaim path runs too.
    await new StreamPublisher(ctx.redis).publish(keys.acks, 'ack', [PROTOCOL_EXAMPLES.ack]);
    await ctx.redis.xreadgroup('GROUP', 'supervisor', 'dead', 'COUNT', 1, 'STREAMS', keys.acks, '>');
    const loop = new StreamLoop({
      consumer,
      reclaimIntervalMs: 20,
      logger,
      handle: async (entries: ConsumedEntry<Ack>[]) => {
        await consumer.ack(entries.map((e) => e.id));
        for (const e of entries) handled.add(e.id);
      },
    });
    await user.refuse('xreadgroup', 'xpending', 'xclaim', 'xack');
    loop.start();
    await new StreamPublisher(ctx.redis).publish(keys.acks, 'ack', [PROTOCOL_EXAMPLES.ack, PROTOCOL_EXAMPLES.ack]);
    // Many refused rounds (Redis counts each refusal in its ACL log) before access comes back.
    await eventually(async () => {
      const log = (await ctx.redis.call('ACL', 'LOG', '128')) as Array<Array<string | number>>;
      const refused = log
        .filter((row) => row[row.indexOf('username') + 1] === user.name)
        .reduce((sum, row) => sum + Number(row[row.indexOf('count') + 1]), 0);
      return refused >= 30 ? true : undefined;
    });
    const all = await ctx.redis.xrange(keys.acks, '-', '+');
    await user.allow('xreadgroup', 'xpending', 'xclaim', 'xack');
    await eventually(() => (handled.size === all.length ? true : undefined));
    await loop.stop();
    expect(rejections).toEqual([]);
    expect([...handled].sort()).toEqual(all.map(([id]) => id).sort());
    // One line per distinct refusal, not one per retry.
    const refusals = lines.filter((l) => l.includes('NOPERM'));
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(4);
    expect((await ctx.redis.xpending(keys.acks, 'supervisor')) as unknown[]).toEqual([0, null, null, null]);
  });
});
