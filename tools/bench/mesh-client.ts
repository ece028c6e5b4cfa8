/**
 * The benchmark's HTTP client of the orchestrator: `POST /workflow`, then `GET` the run's record
 * until it has finished. Of the record it reads only the run-level `status`, `submittedAt` and
 * `finishedAt` (epoch ms), so it keeps working while the rest of the record format changes.
 */

/** A workflow request body of `tasks` independent `echo` tasks with a tiny payload. */
export function echoWorkflowBody(workflow: string, tenant: string, tasks: number): string {
  return JSON.stringify({
    workflow,
    tenant,
    tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, kind: 'echo', payload: { i } })),
  });
}

/** The times the orchestrator's record gives for a finished run. */
export interface FinishedRun {
  readonly submittedAt: number;
  readonly finishedAt: number;
  /** GETs it took to see the run finished. */
  readonly polls: number;
  /** Client wall time of all GETs together, ms. */
  readonly getMs: number;
  /** Client wall time of the last GET (the finished record), ms. */
  readonly lastGetMs: number;
}

/** How often `waitForRun` GETs the record. */
export interface PollOptions {
  /** The shortest pause between two GETs, ms. */
  readonly pollMs: number;
  /**
   * The longest pause, ms (default pollMs). Between the two the pause is 5× the last GET's time, so
   * that GETs of a large record take at most about a sixth of the orchestrator's time.
   */
  readonly maxPollMs?: number;
  readonly timeoutMs: number;
  readonly onPoll?: (status: string) => void;
}

const FAILED = new Set(['failed', 'cancelled']);
/** Runs per page of `GET /runs`: the run just submitted is the newest of its workflow, so among the first. */
const SUMMARY_PAGE = 5;

export class MeshClient {
  constructor(private readonly api: string) {}

  /** Submits a workflow; resolves with the run's path (`links.run`). */
  async submit(body: string): Promise<string> {
    const res = await fetch(`${this.api}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`POST /workflow answered ${res.status}: ${text.slice(0, 500)}`);
    const accepted = JSON.parse(text) as { runId?: unknown; workflow?: unknown; links?: { run?: unknown } };
    if (typeof accepted.links?.run === 'string') return accepted.links.run;
    if (typeof accepted.runId === 'string' && typeof accepted.workflow === 'string')
      return `/workflows/${encodeURIComponent(accepted.workflow)}/runs/${encodeURIComponent(accepted.runId)}`;
    throw new Error(`POST /workflow answered 202 without links.run or runId: ${text.slice(0, 500)}`);
  }

  /** One GET of a run's record: its wall time (ms) and size (bytes). */
  async timeGet(runPath: string): Promise<{ ms: number; bytes: number }> {
    const started = performance.now();
    const res = await fetch(`${this.api}${runPath}`);
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${runPath} answered ${res.status}`);
    return { ms: performance.now() - started, bytes: body.byteLength };
  }

  /**
   * Like waitForRun, but polls the run's summary (`GET /runs?workflow=…`, no tasks) instead of its
   * whole record, so that the polls cost the orchestrator next to nothing however large the run.
   */
  async waitForSummary(runPath: string, o: PollOptions): Promise<FinishedRun> {
    const match = /^\/workflows\/([^/]+)\/runs\/([^/]+)$/.exec(runPath);
    if (!match) throw new Error(`not a run path: ${runPath}`);
    const [workflow, runId] = [decodeURIComponent(match[1] as string), decodeURIComponent(match[2] as string)];
    const deadline = Date.now() + o.timeoutMs;
    let getMs = 0;
    for (let polls = 1; ; polls++) {
      const started = performance.now();
      const res = await fetch(`${this.api}/runs?workflow=${encodeURIComponent(workflow)}&limit=${SUMMARY_PAGE}`);
      const text = await res.text();
      const lastGetMs = performance.now() - started;
      getMs += lastGetMs;
      if (res.status !== 200) throw new Error(`GET /runs answered ${res.status}: ${text.slice(0, 500)}`);
      const page = JSON.parse(text) as { runs?: Array<Record<string, unknown>> };
      const run = page.runs?.find((r) => r['runId'] === runId);
      const status = run?.['status'];
      if (typeof status === 'string') {
        o.onPoll?.(status);
        if (FAILED.has(status))
          throw new Error(`run ${runPath} ended ${status}: ${JSON.stringify(run?.['error'] ?? null)}`);
        const { submittedAt, finishedAt } = run ?? {};
        if (status === 'succeeded') {
          if (typeof submittedAt !== 'number' || typeof finishedAt !== 'number')
            throw new Error(
              `GET /runs: a succeeded run needs numeric "submittedAt" and "finishedAt" (epoch ms); got ${JSON.stringify({ submittedAt, finishedAt })}`,
            );
          return { submittedAt, finishedAt, polls, getMs, lastGetMs };
        }
      }
      if (Date.now() > deadline)
        throw new Error(
          `run ${runPath} ${run ? `still ${String(status)}` : 'not among GET /runs'} after ${o.timeoutMs} ms`,
        );
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  }

  /**
   * GETs the run until its `status` is final; rejects when it failed, after `timeoutMs`, or when
   * the finished record lacks a numeric `submittedAt` or `finishedAt`.
   */
  async waitForRun(runPath: string, o: PollOptions): Promise<FinishedRun> {
    const deadline = Date.now() + o.timeoutMs;
    let getMs = 0;
    for (let polls = 1; ; polls++) {
      const started = performance.now();
      const res = await fetch(`${this.api}${runPath}`);
      const text = await res.text();
      const lastGetMs = performance.now() - started;
      getMs += lastGetMs;
      if (res.status !== 200) throw new Error(`GET ${runPath} answered ${res.status}: ${text.slice(0, 500)}`);
      const run = JSON.parse(text) as Record<string, unknown>;
      const status = run['status'];
      if (typeof status !== 'string')
        throw new Error(
          `GET ${runPath}: the record has no run-level "status" (fields: ${Object.keys(run).join(', ')})`,
        );
      o.onPoll?.(status);
      if (FAILED.has(status))
        throw new Error(`run ${runPath} ended ${status}: ${JSON.stringify(run['error'] ?? null)}`);
      if (status === 'succeeded') {
        const { submittedAt, finishedAt } = run;
        if (typeof submittedAt !== 'number' || typeof finishedAt !== 'number')
          throw new Error(
            `GET ${runPath}: a succeeded run needs numeric "submittedAt" and "finishedAt" (epoch ms); got ${JSON.stringify({ submittedAt, finishedAt })}`,
          );
        return { submittedAt, finishedAt, polls, getMs, lastGetMs };
      }
      if (Date.now() > deadline) throw new Error(`run ${runPath} still ${status} after ${o.timeoutMs} ms`);
      const pause = Math.min(o.maxPollMs ?? o.pollMs, Math.max(o.pollMs, 5 * lastGetMs));
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}
