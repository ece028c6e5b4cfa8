import { decodeAcksEntry, type Ack, type RunnerReport } from '@mesh/mesh-protocol';
import type Redis from 'ioredis';

/** Every report on an acks stream, in order (single `ack` entries read as one-ack reports); throws on a bad entry. */
export async function readReports(redis: Redis, stream: string): Promise<RunnerReport[]> {
  return (await redis.xrange(stream, '-', '+')).map(([id, f]) => {
    const d = decodeAcksEntry(f);
    if (!d.ok) throw new Error(`entry ${id} of ${stream}: ${d.detail}`);
    return d.message;
  });
}

/** Every ack on an acks stream, in order, whether written alone or in runner reports. */
export async function readAcks(redis: Redis, stream: string): Promise<Ack[]> {
  return (await readReports(redis, stream)).flatMap((r) => r.acks);
}
