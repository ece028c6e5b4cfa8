import type { ServiceProcess } from '@mesh/testing';

/** The shared helpers, re-exported for the fault tests. */
export { AclUser, freePort, PrivateRedis } from '@mesh/testing';

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
