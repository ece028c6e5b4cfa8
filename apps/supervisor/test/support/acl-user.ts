import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { closeClient, TEST_REDIS_URL } from '@mesh/testing';

/**
 * A Redis ACL user of one test, limited to the test's key prefix, whose commands the test refuses and allows
 * again: a real refusal, as during an ACL change on a managed Redis. Never the default user; removed after.
 */
export class AclUser {
  readonly name = `mesh-test-${randomBytes(6).toString('hex')}`;
  private readonly password = randomBytes(16).toString('hex');
  private readonly admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  private readonly opened: Redis[] = [];
  private url = '';

  /** Creates the user, allowed everything on `prefix:*` keys; resolves with TEST_REDIS_URL as that user. */
  async create(prefix: string): Promise<string> {
    this.admin.on('error', () => undefined);
    await this.admin.call(
      'ACL',
      'SETUSER',
      this.name,
      'reset',
      'on',
      `>${this.password}`,
      `~${prefix}:*`,
      '&*',
      '+@all',
    );
    const url = new URL(TEST_REDIS_URL);
    url.username = this.name;
    url.password = this.password;
    this.url = url.href;
    return url.href;
  }

  /** A connection as this user (after create()), closed by remove(). */
  connect(): Redis {
    const client = new Redis(this.url, { protocol: 2, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    this.opened.push(client);
    return client;
  }

  /** Redis refuses these commands to the user, on its open connections too, until allowed again. */
  async refuse(...commands: string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `-${c}`));
  }

  async allow(...commands: string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `+${c}`));
  }

  /** Deletes the user (which drops its connections). */
  async remove(): Promise<void> {
    try {
      await this.admin.call('ACL', 'DELUSER', this.name);
    } finally {
      await Promise.all([this.admin, ...this.opened].map(closeClient));
    }
  }
}
