import type { Logger } from '@mesh/logging';
import type { MeshKeys, Redis, RunnerRegistration as RunnerRecord } from '@mesh/mesh-protocol';
import type { RunnerHardware } from '../hardware/snapshot';

export interface RegistrationOptions {
  readonly redis: Redis;
  readonly keys: MeshKeys;
  readonly runnerId: string;
  readonly domain: string;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly concurrency: number;
  readonly kinds: readonly string[];
  readonly hardware: () => RunnerHardware | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Registers the runner in `mesh:runners`, heartbeats, and deregisters on shutdown. */
export class RunnerRegistration {
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(private readonly o: RegistrationOptions) {
    this.startedAt = this.now();
  }

  record(): RunnerRecord {
    return {
      runnerId: this.o.runnerId,
      domain: this.o.domain,
      startedAt: this.startedAt,
      lastSeen: this.now(),
      leaseMs: this.o.leaseMs,
      concurrency: this.o.concurrency,
      kinds: this.o.kinds,
      hardware: this.o.hardware() ?? null,
    };
  }

  /** Writes the record now (also used after a hardware change). Never rejects; failures are logged once per outage. */
  async beat(): Promise<void> {
    try {
      await this.o.redis.hset(this.o.keys.runners, this.o.runnerId, JSON.stringify(this.record()));
      if (this.failing) this.o.logger.info('heartbeat restored');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.o.logger.warn({ err }, 'heartbeat failed; retrying');
      this.failing = true;
    }
  }

  start(): void {
    // beat() never rejects (it logs its own failures), so the beats need no handler.
    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.o.heartbeatMs);
    this.timer.unref();
  }

  async deregister(): Promise<void> {
    clearInterval(this.timer);
    await this.o.redis.hdel(this.o.keys.runners, this.o.runnerId);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
