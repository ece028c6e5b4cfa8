import { Writable } from 'node:stream';
import Redis from 'ioredis';
import { closeClient, createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { createLogger, REDACTED } from '../src';

function capture(): { stream: Writable; text: () => string; records: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    records: () =>
      text()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function refusedConnection(): Promise<Error> {
  const client = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 10,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    throw new Error('connected to port 1');
  } catch (err) {
    return err as Error;
  } finally {
    await closeClient(client);
  }
}

let ctx: RedisTestContext;
beforeEach(() => {
  ctx = createRedisTestContext('logging');
});
afterEach(() => ctx.cleanup());

describe('logging Redis errors', () => {
  it('when a Redis reply error is logged, the command name is kept and its arguments (payloads) never appear', async () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream });
    const syntax = await ctx.redis
      .call('SET', `${ctx.prefix}:k`, 'payload-canary-1', 'NOSUCHOPTION')
      .catch((e: Error) => e);
    const unknown = await ctx.redis.call('NOSUCHCOMMAND', 'payload-canary-2').catch((e: Error) => e);
    const script = await ctx.redis
      .eval("return redis.error_reply('bad')", 1, `${ctx.prefix}:k`, 'payload-canary-3')
      .catch((e: Error) => e);
    log.warn({ err: syntax }, 'write failed');
    log.warn({ err: unknown }, 'write failed');
    log.warn({ err: new Error('settle failed', { cause: script }) }, 'settle failed');
    expect(out.text()).not.toMatch(/payload-canary/);
    const [first, second, third] = out.records();
    expect(first?.['err']).toMatchObject({
      message: 'ERR syntax error',
      command: { name: expect.stringMatching(/^set$/i) },
    });
    expect(second?.['err']).toMatchObject({ message: expect.stringContaining("unknown command 'NOSUCHCOMMAND'") });
    expect(third?.['err']).toMatchObject({ message: expect.stringContaining('settle failed') });
  });

  it('when a Redis URL carries its password as ?password= or as user:password@, the password is masked', () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream });
    log.info({ url: 'redis://redis:6379/0?password=canary-q1&db=0' }, 'to redis://h:1?db=2&password=canary-q2');
    log.info('to redis://:canary-q3@h:1 and rediss://user:canary-q4@h:1');
    expect(out.text()).not.toMatch(/canary-q/);
    expect(out.records()[0]?.['url']).toBe(`redis://redis:6379/0?password=${REDACTED}&db=0`);
  });

  it('when the same Redis connection error repeats, one line per interval is written, without a stack, with the count left out', async () => {
    const out = capture();
    let now = 0;
    const log = createLogger({ service: 's', destination: out.stream, repeatIntervalMs: 10_000, now: () => now });
    const err = await refusedConnection();
    const child = log.child({ component: 'acks' });
    for (let i = 0; i < 50; i++) {
      child.warn({ err }, 'reading acks failed; retrying');
      now += 10;
    }
    log.info('something else');
    now = 20_000;
    child.warn({ err }, 'reading acks failed; retrying');
    const lines = out.records().filter((r) => r['msg'] === 'reading acks failed; retrying');
    expect(lines).toHaveLength(2);
    expect(lines[0]?.['err']).toMatchObject({ message: expect.any(String) });
    expect(lines[0]?.['err']).not.toHaveProperty('stack');
    expect(lines[1]).toMatchObject({ repeated: 49 });
    expect(out.records().filter((r) => r['msg'] === 'something else')).toHaveLength(1);
  });

  it('when Redis refuses a command again and again, every refusal is written (the caller rate-limits its retries)', async () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream, now: () => 0 });
    for (let i = 0; i < 3; i++) {
      const err = await ctx.redis.call('SET', `${ctx.prefix}:k`, 'v', 'NOSUCHOPTION').catch((e: Error) => e);
      log.warn({ err }, 'write failed');
    }
    expect(out.records()).toHaveLength(3);
  });

  it('when errors that are not about Redis repeat, every one is written with its stack', () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream, now: () => 0 });
    for (let i = 0; i < 3; i++) log.error({ err: new TypeError('bug') }, 'handler threw');
    expect(out.records()).toHaveLength(3);
    expect(out.records()[0]?.['err']).toHaveProperty('stack');
  });

  it('when an error caused by a lost Redis connection is logged (a 503 it led to), it has no stack and repeats are kept to one line', async () => {
    const out = capture();
    const log = createLogger({ service: 's', destination: out.stream, now: () => 0 });
    const cause = await refusedConnection();
    for (let i = 0; i < 5; i++)
      log.error(
        { err: new Error('Redis is unavailable; the submission was not accepted', { cause }) },
        'request failed',
      );
    expect(out.records()).toHaveLength(1);
    expect(out.records()[0]?.['err']).not.toHaveProperty('stack');
  });
});
