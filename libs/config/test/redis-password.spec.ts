import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createRedisClient } from '@mesh/mesh-protocol';
import { closeClient, TEST_REDIS_URL } from '@mesh/testing';
import { loadConfig, SHARED_SETTINGS } from '../src';

describe('REDIS_PASSWORD against a real Redis', () => {
  it('when the password holds / ? # and %, a client made from the loaded REDIS_URL authenticates with it exactly', async () => {
    const id = randomBytes(6).toString('hex');
    const name = `mesh-config-test-${id}`;
    const prefix = `mesh-config-test-${id}`;
    // %41 must reach Redis as the three characters, not as "A".
    const password = `p/w?x#y%z%41-${id}`;
    const admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    let client: Redis | undefined;
    try {
      await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, `~${prefix}:*`, '+@all');
      const base = new URL(TEST_REDIS_URL);
      base.username = name;
      base.password = '';
      const config = loadConfig(SHARED_SETTINGS, { env: { REDIS_URL: base.href, REDIS_PASSWORD: password } });
      client = createRedisClient(config.redis.url, { connectionName: 'config-test', lazyConnect: true });
      await client.connect();
      expect(await client.call('ACL', 'WHOAMI')).toBe(name);
      await client.set(`${prefix}:k`, 'v');
      expect(await client.get(`${prefix}:k`)).toBe('v');
      await client.del(`${prefix}:k`);
    } finally {
      if (client) await closeClient(client);
      try {
        await admin.call('ACL', 'DELUSER', name);
      } finally {
        await closeClient(admin);
      }
    }
  });
});
