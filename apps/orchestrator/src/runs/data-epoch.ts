import { runIdTime, type MeshKeys, type Redis } from '@mesh/mesh-protocol';

/**
 * When this Redis data set began for Mesh. Every (re)connection writes the time unless it is there already
 * (SET NX), so after a Redis restart that kept nothing (no persistence) the key is written again, before
 * this orchestrator sends anything else on the connection. A run whose id says it was accepted before that
 * (newRunId, a UUID version 7) and whose state is missing was lost with the data, and GET says so.
 */
export class DataEpoch {
  constructor(
    private readonly redis: Redis,
    private readonly keys: MeshKeys,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the epoch unless it is there. Call on every connection (ioredis 'ready'). */
  async mark(): Promise<void> {
    await this.redis.set(this.keys.epoch, String(this.now()), 'NX');
  }

  /** When the data set began (epoch ms), if known. */
  async began(): Promise<number | undefined> {
    const raw = await this.redis.get(this.keys.epoch);
    const at = raw === null ? NaN : Number(raw);
    return Number.isFinite(at) ? at : undefined;
  }

  /**
   * For a run whose state is missing: when the data it lived in was lost, if its id says it was accepted
   * before. Only missing runs are asked about, so clock skew between orchestrators cannot hide a run that
   * exists; at worst a run accepted within the skew after a restart, once expired, is called lost.
   */
  async lostAt(runId: string): Promise<number | undefined> {
    const created = runIdTime(runId);
    if (created === undefined) return undefined;
    const began = await this.began();
    return began !== undefined && created < began ? began : undefined;
  }
}
