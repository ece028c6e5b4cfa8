import { createHash } from 'node:crypto';
import type { MeshKeys, Redis } from '@mesh/mesh-protocol';
import forgetKeyScript from './forget-key.lua';

/**
 * Where an Idempotency-Key's run stands: `pending` from the moment the key is claimed until the run's
 * submission is on mesh:workflows, then `queued`. A key that is `pending` may point at a run that was
 * never written (the orchestrator died, or a write failed): whoever replays it writes and queues that
 * run first, so a key only ever answers with a run that exists.
 */
export type IdempotencyState = 'pending' | 'queued';

export interface IdempotencyEntry {
  readonly runId: string;
  /** SHA-256 of the submission's canonical form. */
  readonly digest: string;
  readonly state: IdempotencyState;
}

/** The entries of Idempotency-Keys, one Redis string each (`<runId> <digest> <state>`), kept for `ttlMs`. */
export class IdempotencyKeys {
  constructor(
    private readonly redis: Redis,
    private readonly keys: MeshKeys,
    private readonly ttlMs: number,
  ) {}

  /** The Redis key of a client's key: scoped by tenant and workflow, so tenants never share a key. */
  keyOf(tenant: string, workflow: string, clientKey: string): string {
    return this.keys.idempotency(createHash('sha256').update(`${tenant}\n${workflow}\n${clientKey}`).digest('hex'));
  }

  async get(key: string): Promise<IdempotencyEntry | undefined> {
    const raw = await this.redis.get(key);
    if (raw === null) return undefined;
    const [runId = '', digest = '', state] = raw.split(' ');
    // An entry written before states existed said nothing about its run: check it like a pending one.
    return { runId, digest, state: state === 'queued' ? 'queued' : 'pending' };
  }

  /** Claims the key for a new run; false when another submission holds it. */
  async claim(key: string, runId: string, digest: string): Promise<boolean> {
    return (await this.redis.set(key, `${runId} ${digest} pending`, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Records that the run is queued (its submission is on mesh:workflows). */
  async markQueued(key: string, runId: string, digest: string): Promise<void> {
    await this.redis.set(key, `${runId} ${digest} queued`, 'KEEPTTL', 'XX');
  }

  /** Forgets a key whose run is gone (its retention ended), only if it still names that run. */
  async forget(key: string, entry: IdempotencyEntry): Promise<void> {
    // Compare-and-delete in one step (one key, so cluster-safe).
    await this.redis.eval(forgetKeyScript, 1, key, entry.runId);
  }
}
