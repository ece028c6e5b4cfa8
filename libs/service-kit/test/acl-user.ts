import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { closeClient, TEST_REDIS_URL } from '@mesh/testing';

/**
 * A Redis ACL user of a test's own, limited to the test's key prefix, whose commands the test can deny and
 * allow again (a real refusal, as during an ACL change on a managed Redis). Never the default user.
 */
export interface AclUser {
  readonly name: string;
  readonly password: string;
  /** TEST_REDIS_URL with this user's credentials. */
  readonly url: string;
  deny(...commands: string[]): Promise<void>;
  allow(...commands: string[]): Promise<void>;
  /** Deletes the user (and so drops its connections). */
  remove(): Promise<void>;
}

export async function createAclUser(prefix: string, password = randomBytes(12).toString('hex')): Promise<AclUser> {
  const name = `mesh-test-${randomBytes(6).toString('hex')}`;
  const admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, `~${prefix}:*`, '&*', '+@all');
  const url = new URL(TEST_REDIS_URL);
  url.username = name;
  url.password = password;
  return {
    name,
    password,
    url: url.href,
    deny: async (...commands) => void (await admin.call('ACL', 'SETUSER', name, ...commands.map((c) => `-${c}`))),
    allow: async (...commands) => void (await admin.call('ACL', 'SETUSER', name, ...commands.map((c) => `+${c}`))),
    remove: async () => {
      try {
        await admin.call('ACL', 'DELUSER', name);
      } finally {
        await closeClient(admin);
      }
    },
  };
}
