import { createHash, randomUUID } from 'node:crypto';
import { MeshError, UnavailableError, ValidationError } from '@mesh/errors';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import {
  DEFAULT_TASK_TIMEOUT_MS,
  encodeEntry,
  validateWorkflowRequest,
  type MeshKeys,
  type Redis,
  type Submission,
  type WorkflowRequest,
} from '@mesh/mesh-protocol';
import type { RunIndex, RunState } from '@mesh/run-state';
import type { RunnerHardware } from './hardware/runner-hardware';

/** The same Idempotency-Key came with a different body. */
export class IdempotencyConflictError extends MeshError {
  constructor() {
    super('MESH_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for a different submission', { status: 422 });
  }
}

export interface Accepted {
  readonly runId: string;
  readonly workflow: string;
  /** True when an Idempotency-Key matched an earlier submission. */
  readonly replay: boolean;
}

export interface SubmissionServiceOptions {
  readonly redis: Redis;
  readonly keys: MeshKeys;
  readonly state: RunState;
  readonly index: RunIndex;
  readonly hardware: RunnerHardware;
  readonly metrics: OrchestratorMetrics;
  readonly idempotencyTtlMs: number;
  readonly redisTimeoutMs: number;
  readonly now?: () => number;
  readonly newRunId?: () => string;
}

/**
 * Accepts workflow submissions: validates them, creates the run (`queued`, readable at once), indexes it
 * under its workflow and publishes it on mesh:workflows with the latest runner hardware. Resolves only
 * once the submission is in Redis; any Redis trouble (down, or slower than redisTimeoutMs) is an
 * UnavailableError, never a hang.
 */
export class SubmissionService {
  constructor(private readonly o: SubmissionServiceOptions) {}

  async submit(body: unknown, idempotencyKey?: string): Promise<Accepted> {
    const checked = validateWorkflowRequest(body);
    if (!checked.ok) {
      this.o.metrics.submissionsRejected.inc({ reason: 'invalid' });
      throw new ValidationError('the submission is invalid', checked.problems, 'MESH_SUBMISSION_INVALID');
    }
    const request = checked.value;
    try {
      return await this.withTimeout(this.accept(request, idempotencyKey));
    } catch (err) {
      if (err instanceof MeshError && err.status !== 503) throw err;
      this.o.metrics.submissionsRejected.inc({ reason: 'unavailable' });
      throw err instanceof UnavailableError
        ? err
        : new UnavailableError('Redis is unavailable; the submission was not accepted', err);
    }
  }

  private async accept(request: WorkflowRequest, idempotencyKey?: string): Promise<Accepted> {
    const runId = (this.o.newRunId ?? randomUUID)();
    const bodyDigest = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    let idemKey: string | undefined;
    if (idempotencyKey !== undefined) {
      idemKey = this.o.keys.idempotency(
        createHash('sha256').update(`${request.workflow}\n${idempotencyKey}`).digest('hex'),
      );
      const set = await this.o.redis.set(idemKey, `${runId} ${bodyDigest}`, 'PX', this.o.idempotencyTtlMs, 'NX');
      if (set !== 'OK') {
        const existing = (await this.o.redis.get(idemKey)) ?? '';
        const [earlierRun, earlierDigest] = existing.split(' ');
        if (earlierDigest !== bodyDigest) throw new IdempotencyConflictError();
        return { runId: earlierRun as string, workflow: request.workflow, replay: true };
      }
    }
    await this.o.hardware.refresh();
    const submission: Submission = {
      runId,
      workflow: request.workflow,
      tenant: request.tenant,
      tasks: request.tasks.map((t) => ({
        id: t.id,
        kind: t.kind,
        payload: t.payload ?? null,
        dependsOn: [...new Set(t.dependsOn ?? [])],
        retries: t.retries ?? 0,
        timeoutMs: t.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
        ...(t.queueTimeoutMs !== undefined ? { queueTimeoutMs: t.queueTimeoutMs } : {}),
      })),
      submittedAt: (this.o.now ?? Date.now)(),
      hardware: this.o.hardware.latest(),
    };
    try {
      // One round trip, run in order: the run exists (queued) and is indexed before its submission is read.
      const pipeline = this.o.redis.pipeline();
      this.o.state.createIn(pipeline, submission);
      this.o.index.addIn(pipeline, submission);
      pipeline.xadd(this.o.keys.workflows, '*', ...encodeEntry('submission', submission));
      const replies = (await pipeline.exec()) ?? [];
      // Once the submission is on mesh:workflows it runs (a supervisor creates and indexes a run it cannot
      // find), so only a failed XADD refuses it: answering 503 then would invite a second run.
      const [xaddError] = replies[replies.length - 1] ?? [new Error('no reply to XADD')];
      if (xaddError) throw xaddError;
    } catch (err) {
      // Not queued: leave nothing that claims it was.
      await Promise.allSettled([
        this.o.state.discard(runId),
        this.o.index.remove(submission),
        ...(idemKey ? [this.o.redis.del(idemKey)] : []),
      ]);
      throw err;
    }
    this.o.metrics.submissionsAccepted.inc();
    return { runId, workflow: request.workflow, replay: false };
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UnavailableError(
              `Redis did not answer within ${this.o.redisTimeoutMs} ms; the run may still be queued, so retry with the same Idempotency-Key`,
            ),
          ),
        this.o.redisTimeoutMs,
      );
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}
