import { Router, type Request, type Response } from 'express';
import type { RunEvent } from '@mesh/mesh-protocol';
import { isFinalRunStatus, type RunRecord, type RunState } from '@mesh/run-state';
import { runParams } from './run-params';
import { compareIds, type FeedEntry, type RunEventHub } from '../events/run-event-hub';
import { redisCall } from '../http/redis-call';
import { routeLabel } from '../http/request-metrics';

export interface EventRoutesOptions {
  readonly state: RunState;
  readonly hub: RunEventHub;
  readonly redisTimeoutMs: number;
  /** The run's record as the API shows it (with why tasks wait). */
  readonly record: (runId: string) => Promise<RunRecord | undefined>;
  /** How often a comment line keeps an idle stream open, and the run's status is checked, in ms. */
  readonly heartbeatMs?: number;
}

/** How much a stream may have waiting for a slow reader before it is ended (the reader resumes). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

const FINAL_EVENTS: ReadonlySet<string> = new Set(['run-succeeded', 'run-failed', 'run-cancelled']);

/** Whether a feed entry ends its run (as itself, or among the changes it batches). */
function endsRun(event: RunEvent): boolean {
  return FINAL_EVENTS.has(event.type) || (event.events ?? []).some((e) => FINAL_EVENTS.has(e.type));
}

/** A stream id as Last-Event-ID gives it, or undefined when it is none. */
function lastEventId(req: Request): string | undefined {
  const raw =
    req.get('Last-Event-ID') ?? (typeof req.query['lastEventId'] === 'string' ? req.query['lastEventId'] : '');
  return /^\d{1,20}-\d{1,20}$/.test(raw) ? raw : undefined;
}

/**
 * `GET /workflows/{id}/runs/{runId}/events`: Server-Sent Events of one run. First `snapshot` (the record), then
 * a `change` per entry of the run on mesh:run-events (its id is the entry's id), and `end` (the final record)
 * once the run ended, after which the server closes the stream. With Last-Event-ID, the run's entries after
 * that id that the feed still holds come first, before the snapshot. Entries written while the stream was set
 * up follow the snapshot even when it already shows them: a client applies a change only when it moves on. The run's status is also checked on every heartbeat, so a
 * stream ends even if its final entry was trimmed away or never written.
 */
export function eventRoutes(o: EventRoutesOptions): Router {
  const router = Router();
  const heartbeatMs = o.heartbeatMs ?? 15_000;
  router.get(
    '/workflows/:id/runs/:runId/events',
    routeLabel('GET /workflows/{id}/runs/{runId}/events'),
    async (req: Request, res: Response) => {
      const { workflow, runId, tenant, wellFormed, notFound } = runParams(req, res);
      if (!wellFormed) throw notFound();
      const visible = (r: { workflow: string; tenant: string } | undefined) =>
        r !== undefined && r.workflow === workflow && (tenant === undefined || r.tenant === tenant);
      // Noticed from the start: a client gone during the set-up below leaves nothing behind.
      let gone = false;
      res.on('close', () => (gone = true));
      if (!visible(await redisCall(o.redisTimeoutMs, () => o.state.summary(runId)))) throw notFound();

      // Listen first, then read: nothing written in between is missed (duplicates are dropped by id).
      const pending: FeedEntry[] = [];
      let live: ((e: FeedEntry) => void) | undefined;
      const subscribing = o.hub.subscribe(runId, (e) => (live ? live(e) : pending.push(e)));
      let unsubscribe: () => void;
      try {
        unsubscribe = await redisCall(o.redisTimeoutMs, () => subscribing);
      } catch (err) {
        // Given up on (a slow Redis): a subscription that still comes through is undone at once.
        subscribing.then((undo) => undo()).catch(() => undefined);
        throw err;
      }
      let closed = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let forgetClose = (): void => undefined;
      const finish = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
        forgetClose();
        res.end();
      };
      // The orchestrator shutting down ends the stream (a client reconnects with Last-Event-ID elsewhere).
      const undoOnClose = o.hub.onClose(finish);
      forgetClose = () => void undoOnClose();
      res.on('close', finish);
      if (gone) return finish();
      try {
        const after = lastEventId(req);
        const missed = after ? await redisCall(o.redisTimeoutMs, () => o.hub.replay(runId, after)) : [];
        const record = await redisCall(o.redisTimeoutMs, () => o.record(runId));
        if (!visible(record)) throw notFound();
        if (closed) return;
        res.status(200);
        res.set({
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.flushHeaders();
        const send = (event: string, data: unknown, id?: string): void => {
          if (closed) return;
          res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          // A reader too slow for the run's changes is cut off rather than buffered for without bound; it
          // reconnects with Last-Event-ID.
          if (res.writableLength > MAX_BUFFERED_BYTES) finish();
        };
        let sentId = after ?? '0-0';
        let ending = false;
        const end = async (): Promise<void> => {
          if (ending || closed) return;
          ending = true;
          try {
            const last = await redisCall(o.redisTimeoutMs, () => o.record(runId));
            if (last) send('end', last);
          } catch {
            // The final record could not be read: the stream ends without it; a client reads the record.
          } finally {
            finish();
          }
        };
        const change = (e: FeedEntry): void => {
          if (closed || compareIds(e.id, sentId) <= 0) return;
          sentId = e.id;
          send('change', e.event, e.id);
          if (endsRun(e.event)) void end();
        };
        for (const e of missed) change(e);
        send('snapshot', record);
        if (record && isFinalRunStatus(record.status)) {
          send('end', record);
          finish();
          return;
        }
        for (const e of pending.splice(0)) change(e);
        live = change;
        heartbeat = setInterval(() => {
          if (closed) return;
          res.write(': ping\n\n');
          o.state
            .summary(runId)
            .then((s) => {
              if (!s || isFinalRunStatus(s.status)) void end();
            })
            .catch(() => undefined); // Redis away: the next beat checks again
        }, heartbeatMs);
      } catch (err) {
        if (!res.headersSent) {
          closed = true;
          unsubscribe();
          forgetClose();
          throw err;
        }
        finish();
      }
    },
  );
  return router;
}
