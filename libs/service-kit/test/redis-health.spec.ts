import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import { createLogger, type Logger } from '@mesh/logging';
import { closeClient, eventually, PrivateRedis, TEST_REDIS_URL } from '@mesh/testing';
import { closeRedis, connectRedis } from '../src';

function capture(): { logger: Logger; records: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
  return {
    logger,
    records: () =>
      lines
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('connectRedis', () => {
  it('when Redis may evict keys (maxmemory-policy allkeys-lru), a warning at start-up names the policy and the risk', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'allkeys-lru']);
    cleanups.push(() => redis.remove());
    const { logger, records } = capture();
    const { redis: client } = connectRedis(redis.url, 'test', logger);
    cleanups.push(() => closeRedis(client));
    const warning = await eventually(() => records().find((r) => r['maxmemoryPolicy'] === 'allkeys-lru'));
    expect(warning).toMatchObject({ level: 'warn' });
    expect(String(warning['msg'])).toMatch(/evict/);
    expect(String(warning['msg'])).toMatch(/lost/);
  });

  it('when Redis keeps noeviction, no eviction warning is written', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'noeviction']);
    cleanups.push(() => redis.remove());
    const { logger, records } = capture();
    const { redis: client } = connectRedis(redis.url, 'test', logger);
    cleanups.push(() => closeRedis(client));
    const checked = await eventually(() => records().find((r) => r['maxmemoryPolicy'] !== undefined));
    expect(checked).toMatchObject({ level: 'debug', maxmemoryPolicy: 'noeviction' });
  });

  it('when Redis refuses CONFIG (as managed Redis does), the service says it could not check and carries on', async () => {
    const admin = new Redis(TEST_REDIS_URL, { protocol: 2 });
    const name = `mesh-test-${randomBytes(6).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, '~nothing:*', '+@all', '-config');
    cleanups.push(async () => {
      await admin.call('ACL', 'DELUSER', name);
      await closeClient(admin);
    });
    const url = new URL(TEST_REDIS_URL);
    url.username = name;
    url.password = password;
    const { logger, records } = capture();
    const { redis: client, ready } = connectRedis(url.href, 'test', logger);
    cleanups.push(() => closeRedis(client));
    const note = await eventually(() => records().find((r) => String(r['msg']).includes('maxmemory-policy')));
    expect(note).toMatchObject({ level: 'info' });
    expect(String(note['msg'])).toMatch(/could not (be )?check/);
    expect(await ready()).toBe(true);
  });

  it('when Redis accepts connections but never answers, one line says so, naming REDIS_TIMEOUT_MS, and the service is not ready', async () => {
    const sockets = new Set<Socket>();
    let accepted = 0;
    const silent: Server = createServer((s) => {
      accepted++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    const { logger, records } = capture();
    const { redis: client, ready } = connectRedis(`redis://127.0.0.1:${port}`, 'test', logger, {
      noReplyTimeoutMs: 200,
    });
    cleanups.push(() => closeRedis(client));
    const line = await eventually(() => records().find((r) => r['msg'] === 'redis unavailable, reconnecting'));
    expect(line).toMatchObject({ level: 'warn', setting: 'REDIS_TIMEOUT_MS', timeoutMs: 200 });
    expect(String(line['reason'])).toMatch(/did not answer/);
    expect(await ready()).toBe(false);
    // Several reconnect attempts later, still that one line.
    await eventually(() => (accepted >= 3 ? true : undefined));
    expect(records().filter((r) => r['msg'] === 'redis unavailable, reconnecting')).toHaveLength(1);
  });
});
