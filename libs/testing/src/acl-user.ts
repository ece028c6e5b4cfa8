import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { closeClient, TEST_REDIS_URL } from './redis-context';

/** Command names, given one by one or as lists. */
type Commands = Array<string | readonly string[]>;

/**
 * A Redis ACL user of one test on the shared Redis, limited to the test's key prefix, whose commands the
 * test refuses and allows again: a real refusal, as during an ACL change on a managed Redis. Never the
 * default user; remove() deletes it (which drops its connections).
 */
export class AclUser {
  readonly name = `mesh-test-${randomBytes(6).toString('hex')}`;
  private readonly admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  private readonly opened: Redis[] = [];

  constructor(readonly password: string = randomBytes(16).toString('hex')) {
    this.admin.on('error', () => undefined);
  }

  /** Creates the user, allowed everything on `prefix:*` keys; resolves with its URL. */
  async create(prefix: string): Promise<string> {
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
    return this.url;
  }

  /** TEST_REDIS_URL as this user. */
  get url(): string {
    const url = new URL(TEST_REDIS_URL);
    url.username = this.name;
    url.password = this.password;
    return url.href;
  }

  /** A connection as this user, closed by remove(). */
  connect(): Redis {
    const client = new Redis(this.url, { protocol: 2, maxRetriesPerRequest: 1, disconnectTimeout: 10 });
    client.on('error', () => undefined);
    this.opened.push(client);
    return client;
  }

  /** Redis refuses these commands to the user, on its open connections too, until allowed again. */
  async refuse(...commands: Commands): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.flat().map((c) => `-${c}`));
  }

  async allow(...commands: Commands): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.flat().map((c) => `+${c}`));
  }

  /** Deletes the user and closes the connections made through it. */
  async remove(): Promise<void> {
    try {
      await this.admin.call('ACL', 'DELUSER', this.name);
    } finally {
      await Promise.all([this.admin, ...this.opened].map(closeClient));
    }
  }
}
