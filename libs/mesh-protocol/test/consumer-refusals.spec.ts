import { AclUser, createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { createKeys, PROTOCOL_EXAMPLES, RedisStreamConsumer, StreamPublisher, type MeshKeys } from '../src';

let ctx: RedisTestContext;
let keys: MeshKeys;
let user: AclUser;

beforeEach(async () => {
  ctx = createRedisTestContext('refusals');
  keys = createKeys(ctx.prefix);
  user = new AclUser();
  await user.create(ctx.prefix);
});
afterEach(async () => {
  await user.remove();
  await ctx.cleanup();
});

describe('stream consumer under Redis refusals', () => {
  it('when XPENDING is refused while reclaiming, the entries are neither lost nor pushed towards the delivery limit', async () => {
    const stream = keys.assignments('d1');
    const errors: Error[] = [];
    const dying = new RedisStreamConsumer('assignment', {
      blocking: ctx.connect('dying-blocking'),
      commands: ctx.redis,
      stream,
      group: 'g',
      consumer: 'dying',
      deadStream: keys.dead,
      blockMs: 100,
    });
    const survivor = new RedisStreamConsumer('assignment', {
      blocking: user.connect(),
      commands: user.connect(),
      stream,
      group: 'g',
      consumer: 'survivor',
      deadStream: keys.dead,
      blockMs: 100,
      claimIdleMs: 20,
      maxDeliveries: 2,
      onError: (err) => errors.push(err),
    });
    await dying.ensureGroup();
    const [id] = await new StreamPublisher(ctx.redis).publish(stream, 'assignment', [PROTOCOL_EXAMPLES.assignment]);
    await eventually(async () => ((await dying.readBatch()).length ? true : undefined));
    dying.close();

    await user.refuse('xpending');
    // Several reclaim rounds while the refusal lasts: each hands out nothing; the error is reported once.
    let rounds = 0;
    await eventually(async () => {
      const r = await survivor.reclaim();
      expect(r).toEqual({ entries: [], exhausted: [] });
      return ++rounds >= 5 ? true : undefined;
    });
    expect(errors.map((e) => e.message.slice(0, 6))).toEqual(['NOPERM']);

    await user.allow('xpending');
    const back = await eventually(async () => {
      const r = await survivor.reclaim();
      return r.entries.length + r.exhausted.length > 0 ? r : undefined;
    });
    // Delivered once to the dead consumer and once now: under the limit of 2, so it is work, not a give-up.
    expect(back.exhausted).toEqual([]);
    expect(back.entries.map((e) => [e.id, e.deliveries])).toEqual([[id, 2]]);

    // After a success, a new refusal is a new failure: reported at once.
    await user.refuse('xpending');
    await survivor.reclaim();
    expect(errors).toHaveLength(2);
    survivor.close();
  });

  it('when a dead letter is refused, its entry is not acked: it stays pending, and is dead-lettered once Redis takes it', async () => {
    const stream = keys.assignments('d2');
    const consumer = new RedisStreamConsumer('assignment', {
      blocking: user.connect(),
      commands: user.connect(),
      stream,
      group: 'g',
      consumer: 'c',
      deadStream: keys.dead,
      blockMs: 100,
    });
    await consumer.ensureGroup();
    await new StreamPublisher(ctx.redis).publish(stream, 'assignment', [PROTOCOL_EXAMPLES.assignment]);
    const [entry] = await eventually(async () => {
      const batch = await consumer.readBatch();
      return batch.length ? batch : undefined;
    });
    const letter = { id: entry?.id ?? '', fields: null, deliveries: 1 };

    await user.refuse('xadd');
    await expect(consumer.deadLetter([letter], 'invalid_message', 'test')).rejects.toThrow(/NOPERM/);
    expect(await ctx.redis.xpending(stream, 'g')).toEqual([1, letter.id, letter.id, [['c', '1']]]);
    expect(await ctx.redis.xlen(keys.dead)).toBe(0);

    await user.allow('xadd');
    await consumer.deadLetter([letter], 'invalid_message', 'test');
    expect((await ctx.redis.xpending(stream, 'g'))[0]).toBe(0);
    expect(await ctx.redis.xlen(keys.dead)).toBe(1);
    consumer.close();
  });
});
