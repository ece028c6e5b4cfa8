import type { MeshKeys } from './keys';
import type { EpochMs, HardwareSnapshot } from './messages/common';
import type { Redis } from './redis';

/**
 * A runner's entry in the `mesh:runners` hash (field = runner id, value = this as JSON). Written by
 * runners at start and on every heartbeat; read by supervisors (which domains have a live runner)
 * and orchestrators (which hardware a runner has). Readers ignore fields they do not know.
 */
export interface RunnerRegistration {
  readonly runnerId: string;
  readonly domain: string;
  readonly startedAt: EpochMs;
  readonly lastSeen: EpochMs;
  /** The runner counts as gone once lastSeen is older than this. */
  readonly leaseMs?: number;
  readonly concurrency?: number;
  readonly kinds?: readonly string[];
  readonly hardware: HardwareSnapshot | null;
}

/** The registrations in an HGETALL of `mesh:runners`; malformed entries are skipped. */
export function parseRunnerRegistry(all: Readonly<Record<string, string>>): RunnerRegistration[] {
  const out: RunnerRegistration[] = [];
  for (const [runnerId, json] of Object.entries(all)) {
    try {
      const r = JSON.parse(json) as Partial<RunnerRegistration>;
      if (typeof r.domain !== 'string' || typeof r.lastSeen !== 'number') continue;
      out.push({
        ...r,
        runnerId,
        domain: r.domain,
        lastSeen: r.lastSeen,
        startedAt: Number(r.startedAt ?? r.lastSeen),
        hardware: r.hardware ?? null,
      });
    } catch {
      // not JSON: skipped
    }
  }
  return out;
}

/** Every registration in `mesh:runners` (one HGETALL); rejects when Redis does. */
export async function readRunnerRegistry(redis: Redis, keys: MeshKeys): Promise<RunnerRegistration[]> {
  return parseRunnerRegistry(await redis.hgetall(keys.runners));
}

/** Whether a registration's lease still holds at `now`. */
export function isLiveRunner(r: RunnerRegistration, now: EpochMs, defaultLeaseMs: number): boolean {
  return now - r.lastSeen <= (r.leaseMs ?? defaultLeaseMs);
}
