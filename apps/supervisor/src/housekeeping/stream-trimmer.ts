import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { readRunnerRegistry, sleep, trimAcknowledged, type MeshKeys, type Redis } from '@mesh/mesh-protocol';

type StreamLabel = 'workflows' | 'assignments' | 'acks' | 'run_events';

/**
 * Every `intervalMs`, trims the mesh's streams below what all their consumer groups acknowledged:
 * submissions, acks, run events, and the assignment stream of every domain known from the runner
 * registry and the routing table. Unread and pending entries are never removed. Any number of
 * supervisors may run it at once.
 */
export class StreamTrimmer {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly o: {
      redis: Redis;
      keys: MeshKeys;
      intervalMs: number;
      domains: () => Iterable<string>;
      metrics: Pick<SupervisorMetrics, 'streamTrimmed'>;
      logger: Logger;
    },
  ) {}

  start(): void {
    if (this.o.intervalMs > 0) this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One pass over every stream; resolves with the entries removed. */
  async trimOnce(): Promise<number> {
    const registered = (await readRunnerRegistry(this.o.redis, this.o.keys)).map((r) => r.domain);
    const domains = new Set([...registered, ...this.o.domains()]);
    const streams: Array<[string, StreamLabel]> = [
      [this.o.keys.workflows, 'workflows'],
      [this.o.keys.acks, 'acks'],
      [this.o.keys.runEvents, 'run_events'],
      ...[...domains].map((d): [string, StreamLabel] => [this.o.keys.assignments(d), 'assignments']),
    ];
    let removed = 0;
    for (const [stream, label] of streams) {
      const n = await trimAcknowledged(this.o.redis, stream);
      if (n > 0) this.o.metrics.streamTrimmed.inc({ stream: label }, n);
      removed += n;
    }
    return removed;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await sleep(this.o.intervalMs, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      try {
        const removed = await this.trimOnce();
        if (removed > 0) this.o.logger.debug({ removed }, 'trimmed acknowledged stream entries');
      } catch (err) {
        this.o.logger.warn({ err }, 'trimming streams failed; will retry');
      }
    }
  }
}
