import { apiErrorOf, MeshApiError, MeshNetworkError, networkReason, redactUrl } from './errors';
import { readSse, SseParser, type SseMessage } from './sse';
import type {
  Accepted,
  EpochMs,
  FollowEvent,
  RunEvent,
  RunPage,
  RunRecord,
  RunStatus,
  RunSummary,
  WorkflowRequest,
} from './types';

export interface MeshClientOptions {
  /** The orchestrator's URL, e.g. `http://127.0.0.1:9097` (a path after the host is kept as a prefix). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; never part of an error message. */
  readonly token?: string;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
  /** `follow`: the first wait before reconnecting, doubled on each failure in a row up to 10 s (default 500). */
  readonly reconnectDelayMs?: number;
  /** `follow`: reconnections in a row that get no event before it gives up with the error (default 5). */
  readonly maxReconnects?: number;
}

/** `GET /runs` query. */
export interface ListRunsQuery {
  readonly tenant?: string;
  readonly workflow?: string;
  readonly status?: RunStatus;
  /** Only runs submitted at or after this time: epoch ms, a Date or an ISO 8601 date-time. */
  readonly since?: EpochMs | Date | string;
  /** Page size, 1 to 100 (server default 20). */
  readonly limit?: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

/** `GET /workflows/{id}/runs` query. */
export interface ListWorkflowRunsQuery {
  readonly status?: RunStatus;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface FollowOptions {
  /** Resume after this change id (the `id` of a `change` already seen). */
  readonly lastEventId?: string;
  /** Stops following (the iteration ends quietly). */
  readonly signal?: AbortSignal;
}

interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

const MAX_RECONNECT_DELAY_MS = 10_000;
/** Answers that say "try again soon" rather than "no". */
const TRANSIENT = new Set([502, 503, 504]);

const seg = encodeURIComponent;

/**
 * A typed client of the orchestrator's HTTP API v1 (docs/api.md). It runs in browsers and in Node alike:
 * only `fetch`, `TextDecoder` and `AbortSignal`. Every answer that is not a success throws MeshApiError;
 * a request that gets no answer throws MeshNetworkError, which names the URL, never the token.
 */
export class MeshClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly reconnectDelayMs: number;
  private readonly maxReconnects: number;

  constructor(options: MeshClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`baseUrl: ${JSON.stringify(options.baseUrl)} is not an absolute URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`baseUrl: ${JSON.stringify(options.baseUrl)} is not an http(s) URL`);
    this.base = url.toString().replace(/\/+$/, '');
    this.token = options.token || undefined;
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const f = options.fetch ?? globalThis.fetch;
    this.fetchImpl = (input, init) => f(input, init);
    this.reconnectDelayMs = options.reconnectDelayMs ?? 500;
    this.maxReconnects = options.maxReconnects ?? 5;
  }

  /** `POST /workflow`: queues a run; a repeated idempotency key returns the same run. */
  submit(request: WorkflowRequest, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<Accepted> {
    return this.request<Accepted>('POST', '/workflow', {
      body: request,
      headers: options.idempotencyKey !== undefined ? { 'idempotency-key': options.idempotencyKey } : {},
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** `GET /workflows/{id}/runs/{runId}`: the whole run, its tasks included. */
  get(workflow: string, runId: string, options: { signal?: AbortSignal } = {}): Promise<RunRecord> {
    return this.request<RunRecord>('GET', this.runPath(workflow, runId), options);
  }

  /** `GET /runs`: run summaries across workflows, newest first. */
  list(query: ListRunsQuery = {}, options: { signal?: AbortSignal } = {}): Promise<RunPage> {
    const since = query.since instanceof Date ? query.since.getTime() : query.since;
    return this.request<RunPage>('GET', '/runs', {
      query: { ...query, since },
      ...options,
    });
  }

  /** `GET /workflows/{id}/runs`: one workflow's run summaries, newest first. */
  listWorkflow(
    workflow: string,
    query: ListWorkflowRunsQuery = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<RunPage & { readonly workflow: string }> {
    return this.request('GET', `/workflows/${seg(workflow)}/runs`, { query: { ...query }, ...options });
  }

  /** `POST …/cancel`: ends the run `cancelled`; 409 MESH_RUN_FINISHED when it already ended. */
  cancel(workflow: string, runId: string): Promise<RunSummary> {
    return this.request<RunSummary>('POST', `${this.runPath(workflow, runId)}/cancel`);
  }

  /** `POST …/rerun`: a new run of the same tasks, reusing what succeeded; 409 while the run has not ended. */
  rerun(workflow: string, runId: string): Promise<Accepted> {
    return this.request<Accepted>('POST', `${this.runPath(workflow, runId)}/rerun`);
  }

  /**
   * `GET …/events`: the run (`snapshot`), each change (`change`, with its feed id), then the run as it ended
   * (`end`), after which the iteration stops. When the connection drops before `end` it reconnects with
   * `Last-Event-ID` (the last change seen): the server sends the changes after it that its feed still holds and
   * a fresh `snapshot`, then goes on live. A consumer that keeps a view replaces it on every `snapshot`.
   */
  async *follow(workflow: string, runId: string, options: FollowOptions = {}): AsyncGenerator<FollowEvent> {
    const { signal } = options;
    const url = `${this.base}${this.runPath(workflow, runId)}/events`;
    let lastEventId = options.lastEventId;
    let delayMs = this.reconnectDelayMs;
    let failures = 0;
    for (;;) {
      if (signal?.aborted) return;
      let failure: Error;
      try {
        const res = await this.fetchImpl(url, {
          headers: {
            accept: 'text/event-stream',
            ...this.authHeader(),
            ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
          },
          ...(signal ? { signal } : {}),
        });
        if (!res.ok) {
          const error = await apiErrorOf(res);
          if (!TRANSIENT.has(res.status)) throw error;
          failure = error;
        } else if (!res.body) {
          throw new MeshApiError(res.status, 'MESH_BAD_RESPONSE', `${redactUrl(url)} answered without a body`);
        } else {
          const parser = new SseParser();
          for await (const message of readSse(res.body, parser)) {
            if (message.retry !== undefined) delayMs = message.retry;
            const event = parseEvent(url, message);
            if (!event) continue;
            failures = 0;
            if (event.type === 'change' && event.id !== '') lastEventId = event.id;
            yield event;
            if (event.type === 'end') return;
          }
          failure = new MeshNetworkError(redactUrl(url), 'the event stream closed before the run ended');
        }
      } catch (err) {
        if (signal?.aborted) return;
        if (err instanceof MeshApiError) throw err;
        failure = new MeshNetworkError(redactUrl(url), networkReason(err), err);
      }
      failures++;
      if (failures > this.maxReconnects) throw failure;
      await pause(Math.min(delayMs * 2 ** (failures - 1), MAX_RECONNECT_DELAY_MS), signal);
    }
  }

  private runPath(workflow: string, runId: string): string {
    return `/workflows/${seg(workflow)}/runs/${seg(runId)}`;
  }

  private authHeader(): Record<string, string> {
    return this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined && value !== '') params.set(key, String(value));
    const qs = params.toString();
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...this.authHeader(), ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (!res.ok) throw await apiErrorOf(res);
      text = await res.text();
    } catch (err) {
      if (err instanceof MeshApiError || options.signal?.aborted) throw err;
      throw new MeshNetworkError(redactUrl(url), networkReason(err), err);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MeshApiError(
        res.status,
        'MESH_BAD_RESPONSE',
        `${redactUrl(url)} answered with something other than JSON`,
      );
    }
  }
}

/** A message of the events stream as what follow yields; undefined for events it does not know. */
function parseEvent(url: string, message: SseMessage): FollowEvent | undefined {
  if (message.event !== 'snapshot' && message.event !== 'change' && message.event !== 'end') return undefined;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new MeshApiError(
      200,
      'MESH_BAD_RESPONSE',
      `${redactUrl(url)} sent a ${message.event} event that is not JSON`,
    );
  }
  if (message.event === 'change') return { type: 'change', id: message.id ?? '', event: data as RunEvent };
  return { type: message.event, record: data as RunRecord };
}

/** Waits `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
