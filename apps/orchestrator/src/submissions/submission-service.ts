import { createHash } from 'node:crypto';
import { MeshError, NotFoundError, UnavailableError, ValidationError } from '@mesh/errors';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import {
  DEFAULT_TASK_TIMEOUT_MS,
  encodeEntry,
  isClusterClient,
  newRunId,
  spreadPipeline,
  validateWorkflowRequest,
  type MeshKeys,
  type Redis,
  type Submission,
  type WorkflowRequest,
} from '@mesh/mesh-protocol';
import { isFinalRunStatus, type RunIndex, type RunState } from '@mesh/run-state';
import type { Admission } from '../admission/admission';
import { ForbiddenError } from '../auth/errors';
import type { RunnerHardware } from '../hardware/runner-hardware';
import { canonicalJson, jsonDepth, MAX_BODY_DEPTH } from './canonical-json';
import { IdempotencyKeys, type IdempotencyEntry } from './idempotency';

type Pipeline = ReturnType<Redis['pipeline']>;

/** The same Idempotency-Key came with a different body. */
export class IdempotencyConflictError extends MeshError {
  constructor() {
    super('MESH_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used for a different submission', { status: 422 });
  }
}

/** At most this many problems are listed in one 400 (a body of 100,000 bad tasks gets a short answer). */
export const MAX_PROBLEMS_LISTED = 100;

export interface Accepted {
  readonly runId: string;
  readonly workflow: string;
  /** True when an Idempotency-Key matched an earlier submission. */
  readonly replay: boolean;
  /** For a re-run: the run it re-runs. */
  readonly rerunOf?: string;
}

/** A re-run of a run that has not ended, or of one with nothing left to run. */
export class RerunRefusedError extends MeshError {
  constructor(code: 'MESH_RUN_NOT_FINISHED' | 'MESH_NOTHING_TO_RERUN', message: string) {
    super(code, message, { status: 409 });
  }
}

/** What a re-run carries into queue(): the run it re-runs and the outputs it reuses. */
interface RerunOf {
  readonly runId: string;
  readonly reused: ReadonlyMap<string, string>;
}

export interface SubmitOptions {
  readonly idempotencyKey?: string | undefined;
  /** The only tenant the caller may submit for (a tenant's token); undefined: any (an admin token). */
  readonly tenant?: string | undefined;
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
  /** Bounds the runs waiting in `queued` (429 at the limit); none when absent. */
  readonly admission?: Admission;
  readonly now?: () => number;
  readonly newRunId?: () => string;
}

/**
 * Accepts workflow submissions: validates them, creates the run (`queued`, readable at once), indexes it
 * under its workflow and publishes it on mesh:workflows with the latest runner hardware. Resolves only
 * once the submission is in Redis; any Redis trouble (down, or slower than redisTimeoutMs) is an
 * UnavailableError, never a hang. An Idempotency-Key only ever answers with a run that exists: one whose
 * first writer died before queueing it is written and queued by the replay.
 */
export class SubmissionService {
  private readonly idempotency: IdempotencyKeys;

  constructor(private readonly o: SubmissionServiceOptions) {
    this.idempotency = new IdempotencyKeys(o.redis, o.keys, o.idempotencyTtlMs);
  }

  async submit(body: unknown, options: SubmitOptions = {}): Promise<Accepted> {
    const claimed = (body as { tenant?: unknown } | null)?.tenant;
    if (options.tenant !== undefined && typeof claimed === 'string' && claimed !== options.tenant) {
      this.o.metrics.submissionsRejected.inc({ reason: 'unauthorized' });
      throw new ForbiddenError('this token may submit only for its own tenant');
    }
    const request = this.validate(body);
    try {
      return await this.withTimeout(this.accept(request, options.idempotencyKey));
    } catch (err) {
      if (err instanceof MeshError && err.status !== 503) {
        if (err.status === 429) this.o.metrics.submissionsRejected.inc({ reason: 'unavailable' });
        throw err;
      }
      this.o.metrics.submissionsRejected.inc({ reason: 'unavailable' });
      throw err instanceof UnavailableError
        ? err
        : new UnavailableError('Redis is unavailable; the submission was not accepted', err);
    }
  }

  /**
   * Queues a new run of a run that ended (failed or cancelled), visible to `tenant` (undefined: any): the same
   * tasks; those that succeeded keep their outputs (`reused`), the rest run again. Admission limits apply.
   */
  async rerun(workflow: string, runId: string, tenant: string | undefined): Promise<Accepted> {
    const notFound = () => new NotFoundError(`no run ${JSON.stringify(runId)} of workflow ${JSON.stringify(workflow)}`);
    return this.withTimeout(
      (async () => {
        const plan = await this.o.state.rerunPlan(runId);
        if (!plan || plan.workflow !== workflow || (tenant !== undefined && plan.tenant !== tenant)) throw notFound();
        if (!isFinalRunStatus(plan.status))
          throw new RerunRefusedError(
            'MESH_RUN_NOT_FINISHED',
            `run ${JSON.stringify(runId)} is ${plan.status}; cancel it or wait for it to end before re-running it`,
          );
        if (plan.reused.size === plan.tasks.length)
          throw new RerunRefusedError(
            'MESH_NOTHING_TO_RERUN',
            `every task of run ${JSON.stringify(runId)} succeeded; submit the workflow again to run it anew`,
          );
        await this.o.admission?.check(plan.tenant);
        const newId = (this.o.newRunId ?? newRunId)();
        const request = { workflow, tenant: plan.tenant, tasks: plan.tasks } as WorkflowRequest;
        await this.queue(newId, request, plan.tasks, undefined, '', { runId, reused: plan.reused });
        this.o.metrics.submissionsAccepted.inc();
        return { runId: newId, workflow, replay: false, rerunOf: runId };
      })(),
    ).catch((err: unknown) => {
      // A re-run takes no Idempotency-Key: after a timeout, say how to find out whether it was queued.
      if (err instanceof UnavailableError && /did not answer within/.test(err.message))
        throw new UnavailableError(
          `Redis did not answer within ${this.o.redisTimeoutMs} ms; the re-run may still be queued: look for a run with rerunOf ${JSON.stringify(runId)} (GET /runs?workflow=${workflow}) before re-running again`,
        );
      if (err instanceof MeshError) throw err;
      throw new UnavailableError('Redis is unavailable; the re-run was not accepted', err);
    });
  }

  private validate(body: unknown): WorkflowRequest {
    const depth = jsonDepth(body, MAX_BODY_DEPTH);
    const checked =
      depth > MAX_BODY_DEPTH
        ? { ok: false as const, problems: [`(root): nests deeper than ${MAX_BODY_DEPTH} levels`] }
        : validateWorkflowRequest(body);
    if (checked.ok) return checked.value;
    this.o.metrics.submissionsRejected.inc({ reason: 'invalid' });
    const listed = checked.problems.slice(0, MAX_PROBLEMS_LISTED);
    if (checked.problems.length > listed.length)
      listed.push(`… and ${checked.problems.length - listed.length} more problems`);
    throw new ValidationError('the submission is invalid', listed, 'MESH_SUBMISSION_INVALID');
  }

  private async accept(request: WorkflowRequest, idempotencyKey?: string): Promise<Accepted> {
    const tasks = normalizedTasks(request);
    const key =
      idempotencyKey === undefined
        ? undefined
        : this.idempotency.keyOf(request.tenant, request.workflow, idempotencyKey);
    // Compared in a canonical form: the same submission with keys in another order, or defaults
    // spelled out, is the same submission. Only needed with a key (it costs a pass over the body).
    const digest =
      key === undefined
        ? ''
        : createHash('sha256')
            .update(canonicalJson({ workflow: request.workflow, tenant: request.tenant, tasks }))
            .digest('hex');
    for (let attempt = 0; ; attempt++) {
      if (key !== undefined) {
        const earlier = await this.idempotency.get(key);
        if (earlier) {
          if (earlier.digest !== digest) throw new IdempotencyConflictError();
          const replayed = await this.replay(key, earlier, request, tasks);
          if (replayed) return replayed;
          // The key's run is gone (its retention ended): the key is forgotten and this is a new submission.
        }
      }
      await this.o.admission?.check(request.tenant);
      const runId = (this.o.newRunId ?? newRunId)();
      if (key !== undefined && !(await this.idempotency.claim(key, runId, digest))) {
        // Another request claimed the key meanwhile: answer with its run.
        if (attempt < 2) continue;
        throw new UnavailableError('the Idempotency-Key is contended; retry with the same key');
      }
      await this.queue(runId, request, tasks, key, digest);
      this.o.metrics.submissionsAccepted.inc();
      return { runId, workflow: request.workflow, replay: false };
    }
  }

  /**
   * The run of an Idempotency-Key that was claimed before: answered when it exists; written and queued
   * now when its first writer never finished (it died, or a write failed). Undefined when the run was
   * queued once and is gone since (expired): the caller treats the submission as new.
   */
  private async replay(
    key: string,
    earlier: IdempotencyEntry,
    request: WorkflowRequest,
    tasks: Submission['tasks'],
  ): Promise<Accepted | undefined> {
    const accepted = { runId: earlier.runId, workflow: request.workflow, replay: true };
    const submittedAt = await this.o.redis.hget(this.o.keys.run(earlier.runId, 'meta'), 'submittedAt');
    const exists = submittedAt !== null;
    if (earlier.state === 'queued') {
      if (exists) return accepted;
      await this.idempotency.forget(key, earlier);
      return undefined;
    }
    // Pending: the first writer may have died before, during or after its writes, may still be at them,
    // or only failed to mark the key queued. A run that exists may be queued and running already, so it
    // is never written nor removed here: its submission is only published again (a supervisor starts a run
    // once, and its create leaves an existing run as it is). A run that does not exist is written and queued.
    if (exists) {
      await this.publish(await this.submissionOf(earlier.runId, request, tasks, Number(submittedAt)));
      await this.idempotency.markQueued(key, earlier.runId, earlier.digest).catch(() => undefined);
      return accepted;
    }
    await this.queue(earlier.runId, request, tasks, key, earlier.digest);
    return accepted;
  }

  private async submissionOf(
    runId: string,
    request: WorkflowRequest,
    tasks: Submission['tasks'],
    submittedAt: number,
  ): Promise<Submission> {
    await this.o.hardware.refresh();
    return {
      runId,
      workflow: request.workflow,
      tenant: request.tenant,
      tasks,
      submittedAt,
      hardware: this.o.hardware.latest(),
    };
  }

  /** Publishes a submission of a run that exists on mesh:workflows (nothing is removed if that fails). */
  private async publish(submission: Submission): Promise<void> {
    await this.o.redis.xadd(
      this.o.keys.ofRun(submission.runId).workflows,
      '*',
      ...encodeEntry('submission', submission),
    );
  }

  /**
   * Creates, indexes and queues the run in one round trip. When Redis refuses the XADD, a run this call
   * created is removed again (nothing then claims it was queued); a run that existed already, or any run
   * after an error whose outcome is unknown (a dropped connection, a timeout), is left as it is.
   */
  private async queue(
    runId: string,
    request: WorkflowRequest,
    tasks: Submission['tasks'],
    key: string | undefined,
    digest: string,
    rerunOf?: RerunOf,
  ): Promise<void> {
    const submission = await this.submissionOf(runId, request, tasks, (this.o.now ?? Date.now)());
    // A re-run's state must exist before its submission does: a supervisor that found no run would create one
    // from the submission, which carries neither rerunOf nor the outputs to reuse.
    if (rerunOf) await this.o.state.create(submission, rerunOf.runId, rerunOf.reused);
    // When exec() itself rejects, what Redis applied is unknown: nothing is removed, and a retry with the
    // Idempotency-Key finds the run (and publishes it again) or writes it.
    const replies = await this.write(submission, rerunOf === undefined);
    const [createError, createReply] = replies?.[0] ?? [null, undefined];
    // A re-run's run was created above, under a new id: it is this call's own.
    const created =
      rerunOf !== undefined || (!createError && Array.isArray(createReply) && createReply[0] === 'created');
    // Once the submission is on mesh:workflows it runs (a supervisor creates and indexes a run it cannot
    // find), so only a failed XADD refuses it: answering 503 then would invite a second run.
    const [xaddError] = replies?.[replies.length - 1] ?? [new Error('no reply to XADD')];
    if (xaddError) {
      // Undo only what this call wrote, and only when Redis said no to the XADD. A run that existed
      // before (an earlier request of the same key wrote it, and may have queued it) is never touched, nor
      // is one whose XADD may have been applied (a dropped connection, a timeout): that run may be running.
      if (created && isReplyError(xaddError)) {
        await Promise.allSettled([
          this.o.state.discard(runId),
          this.o.index.remove(submission),
          ...(this.o.admission ? [this.o.admission.remove(submission)] : []),
        ]);
      }
      throw xaddError;
    }
    // Best effort: a key left pending only makes a replay queue the run again, which is harmless.
    if (key !== undefined) await this.idempotency.markQueued(key, runId, digest).catch(() => undefined);
  }

  /**
   * Writes a run (unless it exists already), its index entries, its admission and its submission, in that
   * order: the run exists (queued) and is indexed before its submission is read. Against one Redis that is
   * one pipeline, run in order. A cluster keeps order only within a node, and these keys live on several,
   * so there the run is created first and the rest follows in a second round trip (the index entries may
   * then come after the submission is read; a supervisor indexes a run it takes too).
   */
  private async write(submission: Submission, create: boolean): Promise<Array<[Error | null, unknown]> | null> {
    const rest = (pipeline: Pipeline): Pipeline => {
      this.o.index.addIn(pipeline, submission);
      this.o.admission?.addIn(pipeline, submission);
      return pipeline.xadd(
        this.o.keys.ofRun(submission.runId).workflows,
        '*',
        ...encodeEntry('submission', submission),
      );
    };
    if (!isClusterClient(this.o.redis)) {
      const pipeline = this.o.redis.pipeline();
      if (create) this.o.state.createIn(pipeline, submission);
      return rest(pipeline).exec();
    }
    const first: Array<[Error | null, unknown]> = [];
    if (create) {
      const pipeline = this.o.redis.pipeline();
      this.o.state.createIn(pipeline, submission);
      const [reply] = (await pipeline.exec()) ?? [[new Error("no reply to the run's creation"), undefined]];
      first.push(reply ?? [new Error("no reply to the run's creation"), undefined]);
      // Redis refused the run (out of memory, a script error): nothing else is written, and the XADD's slot says why.
      if (reply?.[0]) return [...first, reply];
    }
    return [...first, ...((await rest(spreadPipeline(this.o.redis)).exec()) ?? [])];
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
    // The work goes on after a timeout; its own failure then has nobody to tell.
    work.catch(() => undefined);
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** Redis's kinds of error reply (by ioredis version and protocol). */
const REPLY_ERROR_NAMES = new Set(['ReplyError', 'SimpleError', 'BlobError', 'ErrorReply']);

/**
 * True for an error Redis itself answered (the command was refused, so not applied); false for a client-side
 * error (a dropped connection, a timeout), after which the command may or may not have been applied.
 */
export function isReplyError(err: unknown): boolean {
  return err instanceof Error && REPLY_ERROR_NAMES.has(err.name);
}

/** The request's tasks as they go on the wire, with every default filled in. */
function normalizedTasks(request: WorkflowRequest): Submission['tasks'] {
  return request.tasks.map((t) => ({
    id: t.id,
    kind: t.kind,
    payload: t.payload ?? null,
    dependsOn: [...new Set(t.dependsOn ?? [])],
    retries: t.retries ?? 0,
    timeoutMs: t.timeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
    ...(t.queueTimeoutMs !== undefined ? { queueTimeoutMs: t.queueTimeoutMs } : {}),
    ...(t.domain !== undefined ? { domain: t.domain } : {}),
    ...(t.requires !== undefined ? { requires: t.requires } : {}),
  }));
}
