import { StreamPublisher, type Redis, type RunEvent, type RunEventType } from '@mesh/mesh-protocol';

/** Builds and publishes run events (supervisor → orchestrator on mesh:run-events), pipelined. */
export class RunEvents {
  private readonly publisher: StreamPublisher;

  constructor(
    redis: Redis,
    private readonly stream: string,
    private readonly now: () => number,
  ) {
    this.publisher = new StreamPublisher(redis);
  }

  make(
    runId: string,
    workflow: string,
    type: RunEventType,
    extra: Omit<Partial<RunEvent>, 'runId' | 'workflow' | 'type'> = {},
  ): RunEvent {
    return { runId, workflow, type, at: this.now(), ...extra };
  }

  async publish(events: readonly RunEvent[]): Promise<void> {
    await this.publisher.publish(this.stream, 'event', events);
  }
}
