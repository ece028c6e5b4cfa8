import type { MeshKeys } from './keys';
import type { EpochMs, HardwareSnapshot } from './messages/common';
import { meshNameProblem } from './names';
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

/**
 * The registrations in an HGETALL of `mesh:runners`. A malformed entry (not JSON, no domain or lastSeen, a
 * domain that is not a Mesh name, so no stream could be named after it) is skipped and reported to
 * `onMalformed`: one bad registration never stops a reader.
 */
export function parseRunnerRegistry(
  all: Readonly<Record<string, string>>,
  onMalformed?: (runnerId: string, problem: string) => void,
): RunnerRegistration[] {
  const out: RunnerRegistration[] = [];
  for (const [runnerId, json] of Object.entries(all)) {
    const problem = registrationProblem(json);
    if (problem) {
      onMalformed?.(runnerId, problem);
      continue;
    }
    const r = JSON.parse(json) as Partial<RunnerRegistration> & { domain: string; lastSeen: number };
    out.push({
      ...r,
      runnerId,
      domain: r.domain,
      lastSeen: r.lastSeen,
      startedAt: Number(r.startedAt ?? r.lastSeen),
      hardware: r.hardware ?? null,
    });
  }
  return out;
}

function registrationProblem(json: string): string | undefined {
  let r: unknown;
  try {
    r = JSON.parse(json);
  } catch {
    return 'not JSON';
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'not a JSON object';
  const { domain, lastSeen } = r as { domain?: unknown; lastSeen?: unknown };
  if (typeof lastSeen !== 'number' || !Number.isFinite(lastSeen)) return 'lastSeen is not a number';
  if (typeof domain !== 'string') return 'domain is not a string';
  const bad = meshNameProblem(domain);
  return bad ? `domain ${bad}` : undefined;
}

/** Every registration in `mesh:runners` (one HGETALL); rejects when Redis does. */
export async function readRunnerRegistry(
  redis: Redis,
  keys: MeshKeys,
  onMalformed?: (runnerId: string, problem: string) => void,
): Promise<RunnerRegistration[]> {
  return parseRunnerRegistry(await redis.hgetall(keys.runners), onMalformed);
}

/** Whether a registration's lease still holds at `now`. */
export function isLiveRunner(r: RunnerRegistration, now: EpochMs, defaultLeaseMs: number): boolean {
  return now - r.lastSeen <= (r.leaseMs ?? defaultLeaseMs);
}
