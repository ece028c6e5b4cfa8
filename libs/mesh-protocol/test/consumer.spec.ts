import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import {
  createKeys,
  decodeEntry,
  MESSAGE_FIELDS,
  PROTOCOL_EXAMPLES,
  RedisStreamConsumer,
  StreamPublisher,
  type DeadLetterReason,
  type MeshKeys,
  type MessageField,
  type StreamConsumerOptions,
} from '../src';

let ctx: RedisTestContext;
let keys: MeshKeys;

beforeEach(() => {
  ctx = createRedisTestContext('protocol');
  keys = createKeys(ctx.prefix);
});
afterEach(() => ctx.cleanup());

function consumer<F extends MessageField>(
  field: F,
  stream: string,
  name: string,
  extra: Partial<StreamConsumerOptions> = {},
): RedisStreamConsumer<F> {
  return new RedisStreamConsumer(field, {
    blocking: ctx.connect(`${name}-blocking`),
    commands: ctx.redis,
    stream,
    group: 'g',
    consumer: name,
    deadStream: keys.dead,
    blockMs: 200,
    ...extra,
  });
}

async function deadLetters(): Promise<
  Array<{ reason: string; entryId: string; detail: string; deliveries: number; fields: Record<string, string> }>
> {
  const rows = await ctx.redis.xrange(keys.dead, '-', '+');
  return rows.map(([, fields]) => {
    const decoded = decodeEntry('dead', fields);
    if (!decoded.ok) throw new Error(decoded.detail);
    return decoded.message;
  });
}

async function pendingCount(stream: string): Promise<number> {
  const [count] = (await ctx.redis.xpending(stream, 'g')) as [number];
  return count;
}

describe('stream consumer', () => {
  it.each(MESSAGE_FIELDS)(
    'when a %s is published, a group consumer reads the same message and acks it',
    async (field) => {
      const stream = `${ctx.prefix}:rt-${field}`;
      const reader = consumer(field, stream, 'c1');
      await reader.ensureGroup();
      const [id] = await new StreamPublisher(ctx.redis).publish(stream, field, [PROTOCOL_EXAMPLES[field]]);
      const batch = await eventually(async () => {
        const b = await reader.readBatch();
        return b.length ? b : undefined;
      });
      expect(batch.map((e) => ({ id: e.id, message: e.message, deliveries: e.deliveries }))).toEqual([
        { id, message: PROTOCOL_EXAMPLES[field], deliveries: 1 },
      ]);
      expect(await pendingCount(stream)).toBe(1);
      await reader.ack([id as string]);
      expect(await pendingCount(stream)).toBe(0);
      reader.close();
    },
  );

  it('when malformed entries sit between good ones, they are dead-lettered with their reason and the reader goes on', async () => {
    const stream = keys.assignments('d1');
    const counted: DeadLetterReason[] = [];
    const reader = consumer('assignment', stream, 'c1', { onDeadLetter: (reason) => counted.push(reason) });
    await reader.ensureGroup();
    const good = JSON.stringify(PROTOCOL_EXAMPLES.assignment);
    const { attempt: _a, ...missingAttempt } = PROTOCOL_EXAMPLES.assignment;
    const ids = [
      await ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', '{not json'),
      await ctx.redis.xadd(stream, '*', 'v', '9', 'assignment', good),
      await ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', JSON.stringify(missingAttempt)),
      await ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', good),
    ];
    const batch = await eventually(async () => {
      const b = await reader.readBatch();
      return b.length ? b : undefined;
    });
    expect(batch.map((e) => e.id)).toEqual([ids[3]]);
    const dead = await deadLetters();
    expect(dead.map((d) => [d.entryId, d.reason])).toEqual(
      expect.arrayContaining([
        [ids[0], 'malformed_json'],
        [ids[1], 'unsupported_version'],
        [ids[2], 'invalid_message'],
      ]),
    );
    expect(dead.find((d) => d.entryId === ids[2])?.detail).toContain('missing required field "attempt"');
    expect(dead.find((d) => d.entryId === ids[0])?.fields).toEqual({ v: '1', assignment: '{not json' });
    expect(counted.sort()).toEqual(['invalid_message', 'malformed_json', 'unsupported_version']);
    expect(await pendingCount(stream)).toBe(1);
    reader.close();
  });

  it('when a consumer dies holding entries, another reclaims them after the idle timeout with the delivery count raised', async () => {
    const stream = keys.assignments('d1');
    const dying = consumer('assignment', stream, 'dying', { claimIdleMs: 50 });
    const survivor = consumer('assignment', stream, 'survivor', { claimIdleMs: 50 });
    await dying.ensureGroup();
    const published = await new StreamPublisher(ctx.redis).publish(stream, 'assignment', [
      PROTOCOL_EXAMPLES.assignment,
      PROTOCOL_EXAMPLES.assignment,
    ]);
    const held = await eventually(async () => {
      const b = await dying.readBatch();
      return b.length ? b : undefined;
    });
    expect(held).toHaveLength(2);
    dying.close();

    expect(await survivor.readBatch()).toEqual([]);
    const reclaimed = await eventually(async () => {
      const r = await survivor.reclaim();
      return r.entries.length ? r : undefined;
    });
    expect(reclaimed.entries.map((e) => [e.id, e.deliveries])).toEqual(published.map((id) => [id, 2]));
    expect(reclaimed.exhausted).toEqual([]);
    const owners = (await ctx.redis.xpending(stream, 'g', '-', '+', 10)) as Array<[string, string]>;
    expect(owners.map(([, owner]) => owner)).toEqual(['survivor', 'survivor']);
    survivor.close();
  });

  it('when an entry is past the delivery limit, it comes back exhausted and is dead-lettered and acked', async () => {
    const stream = keys.assignments('d1');
    const first = consumer('assignment', stream, 'first', { claimIdleMs: 20, maxDeliveries: 1 });
    const second = consumer('assignment', stream, 'second', { claimIdleMs: 20, maxDeliveries: 1 });
    await first.ensureGroup();
    const [id] = await new StreamPublisher(ctx.redis).publish(stream, 'assignment', [PROTOCOL_EXAMPLES.assignment]);
    await eventually(async () => ((await first.readBatch()).length ? true : undefined));
    first.close();

    const result = await eventually(async () => {
      const r = await second.reclaim();
      return r.exhausted.length ? r : undefined;
    });
    expect(result.entries).toEqual([]);
    expect(result.exhausted.map((e) => [e.id, e.deliveries, e.message.taskId])).toEqual([[id, 2, 'extract']]);
    await second.deadLetter(result.exhausted, 'delivery_limit', 'delivered 2 times (limit 1)');
    expect((await deadLetters()).map((d) => [d.entryId, d.reason, d.deliveries])).toEqual([[id, 'delivery_limit', 2]]);
    expect(await pendingCount(stream)).toBe(0);
    second.close();
  });

  it('when the stream and its group vanish (a Redis restart without persistence), the reader re-creates the group and goes on', async () => {
    const stream = keys.acks;
    const errors: Error[] = [];
    const reader = consumer('ack', stream, 'c1', { retryBaseMs: 20, onError: (e) => errors.push(e) });
    await reader.ensureGroup();
    await ctx.redis.del(stream);

    expect(await reader.readBatch()).toEqual([]);
    const groups = (await ctx.redis.xinfo('GROUPS', stream)) as unknown[];
    expect(groups).toHaveLength(1);
    await new StreamPublisher(ctx.redis).publish(stream, 'ack', [PROTOCOL_EXAMPLES.ack]);
    const batch = await eventually(async () => {
      const b = await reader.readBatch();
      return b.length ? b : undefined;
    });
    expect(batch[0]?.message).toEqual(PROTOCOL_EXAMPLES.ack);
    expect(errors).toEqual([]);
    reader.close();
  });

  it('when reads keep failing, the reader backs off instead of spinning', async () => {
    const stream = keys.acks;
    const reader = consumer('ack', stream, 'c1', { retryBaseMs: 40, retryCapMs: 40 });
    await ctx.redis.set(stream, 'not a stream'); // every XREADGROUP now fails with WRONGTYPE
    let reads = 0;
    const started = process.hrtime.bigint();
    while (process.hrtime.bigint() - started < 200_000_000n) {
      await reader.readBatch();
      reads++;
    }
    // Without backoff this loop would run thousands of times in 200 ms.
    expect(reads).toBeLessThan(20);
    reader.close();
  });

  it('when close() is called during a blocking read, the read ends at once with nothing', async () => {
    const reader = consumer('ack', keys.acks, 'c1', { blockMs: 60_000 });
    await reader.ensureGroup();
    const pending = reader.readBatch();
    // Let the XREADGROUP reach Redis before closing.
    await eventually(async () => ((await ctx.redis.client('LIST')) as string).includes('cmd=xreadgroup') || undefined);
    reader.close();
    await expect(pending).resolves.toEqual([]);
    expect(reader.closed).toBe(true);
    await expect(reader.readBatch()).resolves.toEqual([]);
  });

  it('when a consumer renews its leases, only entries it still owns are renewed, and no delivery is counted', async () => {
    const stream = `${ctx.prefix}:leases`;
    const a = consumer('ack', stream, 'a', { claimIdleMs: 100_000 });
    const b = consumer('ack', stream, 'b');
    await a.ensureGroup();
    await new StreamPublisher(ctx.redis).publish(stream, 'ack', [PROTOCOL_EXAMPLES.ack, PROTOCOL_EXAMPLES.ack]);
    const [first, second] = await a.readBatch();
    const ids = [first?.id as string, second?.id as string];
    // b takes the second over (as after a lapsed lease); a stalled and wakes up.
    await ctx.redis.xclaim(stream, 'g', 'b', 0, ids[1] as string, 'JUSTID');
    expect(await a.renew(ids)).toEqual([ids[0]]);
    const rows = (await ctx.redis.xpending(stream, 'g', '-', '+', 10)) as Array<[string, string, number, number]>;
    expect(rows.map(([id, owner, , deliveries]) => [id, owner, deliveries])).toEqual([
      [ids[0], 'a', 1],
      [ids[1], 'b', 1],
    ]);
    a.close();
    b.close();
  });
});
