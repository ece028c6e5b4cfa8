import { createServer, type Server, type Socket } from 'node:net';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import {
  createKeys,
  createRedisClient,
  isNoReplyError,
  probeRedis,
  PROTOCOL_EXAMPLES,
  RedisStreamConsumer,
  StreamPublisher,
  type Redis,
} from '../src';
import { startFreezableProxy, type FreezableProxy } from './freezable-proxy';

let ctx: RedisTestContext;
let proxy: FreezableProxy | undefined;
let silent: Server | undefined;
const silentSockets = new Set<Socket>();
const clients: Redis[] = [];

beforeEach(() => {
  ctx = createRedisTestContext('redis-client');
});
afterEach(async () => {
  // Not closeClient: a client disconnected while it waits to reconnect never emits 'end' (ioredis).
  for (const c of clients.splice(0)) c.disconnect();
  await proxy?.close();
  proxy = undefined;
  // close() waits for open connections: end them first.
  for (const s of silentSockets) s.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  silent = undefined;
  await ctx.cleanup();
});

async function silentServer(): Promise<string> {
  silent = createServer((s) => {
    silentSockets.add(s);
    s.on('close', () => silentSockets.delete(s));
  });
  await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  return `redis://127.0.0.1:${port}`;
}

describe('Redis client', () => {
  it('when Redis accepts the connection but never answers, the client says so and commands fail instead of hanging', async () => {
    const url = await silentServer();
    const errors: Error[] = [];
    const client = createRedisClient(url, {
      connectionName: 'test',
      noReplyTimeoutMs: 200,
      disconnectTimeoutMs: 10,
      onError: (e) => errors.push(e),
    });
    clients.push(client);
    await expect(client.ping()).rejects.toThrow();
    await eventually(() => (errors.some(isNoReplyError) ? true : undefined));
    expect(client.status).not.toBe('ready');
  });

  it('when Redis stops answering during a blocking read, the read ends, the error is reported, and reads work again once it answers', async () => {
    proxy = await startFreezableProxy(ctx.url);
    const keys = createKeys(ctx.prefix);
    const errors: Error[] = [];
    const blocking = createRedisClient(proxy.url, {
      connectionName: 'blocking',
      noReplyTimeoutMs: 300,
      blockMs: 100,
      disconnectTimeoutMs: 10,
    });
    clients.push(blocking);
    const reader = new RedisStreamConsumer('ack', {
      blocking,
      commands: ctx.redis,
      stream: keys.acks,
      group: 'g',
      consumer: 'c1',
      deadStream: keys.dead,
      blockMs: 100,
      retryBaseMs: 20,
      retryCapMs: 50,
      onError: (e) => errors.push(e),
    });
    await reader.ensureGroup();
    await eventually(() => (blocking.status === 'ready' ? true : undefined));
    expect(await reader.readBatch()).toEqual([]);

    proxy.freeze();
    await expect(reader.readBatch()).resolves.toEqual([]);
    expect(errors.some(isNoReplyError)).toBe(true);

    proxy.thaw();
    await new StreamPublisher(ctx.redis).publish(keys.acks, 'ack', [PROTOCOL_EXAMPLES.ack]);
    const batch = await eventually(async () => {
      const b = await reader.readBatch();
      return b.length > 0 ? b : undefined;
    });
    expect(batch[0]?.message).toEqual(PROTOCOL_EXAMPLES.ack);
    reader.close();
  });

  it('when a Redis is probed, it answers true for a real Redis and false for a refused or a silent one, never hanging', async () => {
    expect(await probeRedis(ctx.url, 5000)).toBe(true);
    expect(await probeRedis('redis://127.0.0.1:1', 5000)).toBe(false);
    expect(await probeRedis(await silentServer(), 200)).toBe(false);
  });
});
