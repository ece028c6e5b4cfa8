import { randomBytes } from 'node:crypto';

/**
 * A new run id: a UUID version 7 (RFC 9562), whose first 48 bits are the creation time in epoch ms and the
 * rest random. Ids sort by creation time, and the time can be read back (runIdTime) to tell whether a run
 * was accepted before Redis lost its data.
 */
export function newRunId(now: number = Date.now(), random: (n: number) => Buffer = randomBytes): string {
  const b = Buffer.alloc(16);
  random(10).copy(b, 6);
  b.writeUIntBE(Math.max(0, Math.floor(now)) % 2 ** 48, 0, 6);
  b[6] = 0x70 | ((b[6] as number) & 0x0f);
  b[8] = 0x80 | ((b[8] as number) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** When a run id made by newRunId was created (epoch ms); undefined for any other id (ids are the caller's choice). */
export function runIdTime(runId: string): number | undefined {
  const m = UUID_V7.exec(runId);
  return m ? parseInt(`${m[1] as string}${m[2] as string}`, 16) : undefined;
}
