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

  /**
   * One pass over every stream; resolves with the entries removed. A malformed runner registration is skipped
   * (and logged with how many there are), and a stream that cannot be trimmed is logged and passed over: one bad
   * entry or stream never stops the others from being trimmed.
   */
  async trimOnce(): Promise<number> {
    const malformed: Array<{ runnerId: string; problem: string }> = [];
    const registered = (
      await readRunnerRegistry(this.o.redis, this.o.keys, (runnerId, problem) => malformed.push({ runnerId, problem }))
    ).map((r) => r.domain);
    if (malformed.length > 0)
      this.o.logger.warn(
        { malformed: malformed.length, examples: malformed.slice(0, 5) },
        'malformed runner registrations skipped',
      );
    const domains = new Set([...registered, ...this.o.domains()]);
    const streams: Array<[string, StreamLabel]> = [
      ...this.o.keys.partitionKeys.flatMap((p): Array<[string, StreamLabel]> => [
        [p.workflows, 'workflows'],
        [p.acks, 'acks'],
        [p.runEvents, 'run_events'],
      ]),
      ...[...domains].map((d): [string, StreamLabel] => [this.o.keys.assignments(d), 'assignments']),
    ];
    let removed = 0;
    let failed = 0;
    for (const [stream, label] of streams) {
      try {
        const n = await trimAcknowledged(this.o.redis, stream);
        if (n > 0) this.o.metrics.streamTrimmed.inc({ stream: label }, n);
        removed += n;
      } catch (err) {
        if (++failed === 1) this.o.logger.warn({ err, stream: label }, 'cannot trim a stream; trimming the others');
      }
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
