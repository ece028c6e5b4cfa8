import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { closeClient, TEST_REDIS_URL, type ServiceProcess } from '@mesh/testing';

/**
 * A redis-server of the test's own (never the shared one) on a fixed free port, which the test stops and starts
 * again there; if its first start fails it is killed and its data directory removed, else remove() does.
 */
export { freePort, PrivateRedis } from '@mesh/testing';

/** A Redis ACL user of the test's own on the shared Redis, limited to its key prefix; never the default user. */
export class AclUser {
  readonly name = `mesh-test-${randomBytes(6).toString('hex')}`;
  private readonly admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });

  constructor(readonly password: string = randomBytes(16).toString('hex')) {
    this.admin.on('error', () => undefined);
  }

  async create(prefix: string): Promise<void> {
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
  }

  /** Redis refuses the commands to this user, on its open connections too, until allowed again. */
  async refuse(commands: readonly string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `-${c}`));
  }

  async allow(commands: readonly string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `+${c}`));
  }

  async remove(): Promise<void> {
    try {
      await this.admin.call('ACL', 'DELUSER', this.name);
    } finally {
      await closeClient(this.admin);
    }
  }
}

export async function readyz(p: ServiceProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${p.port}/readyz`)).status;
}

/** Records of `p` written at or after `since` (epoch ms) and before `until`. */
export function recordsBetween(p: ServiceProcess, since: number, until = Infinity): Array<Record<string, unknown>> {
  return p.records.filter((r) => {
    const t = Date.parse(String(r['time']));
    return t >= since && t < until;
  });
}
