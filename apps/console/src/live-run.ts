import { useEffect, useRef, useState } from 'preact/hooks';
import { isFinalRunStatus, MeshApiError, type MeshClient, type RunRecord } from '@mesh/client';

/** Answers that will not change by asking again: no such run (or not this tenant's), or its state was lost. */
const FINAL_ANSWERS: ReadonlySet<number> = new Set([403, 404, 410]);

/** The least time between two reads of the record while changes stream in. */
export const REFRESH_THROTTLE_MS = 400;
/**
 * While the run is live, the record is also read this often without a change: a waiting reason (the queue
 * ahead of a task) changes without an event of this run, and a read can land between two writes of one step.
 */
export const LIVE_REREAD_MS = 3000;
/** How long to wait before following again after the stream broke. */
export const RECONNECT_MS = 2000;

export interface LiveRun {
  readonly record: RunRecord | undefined;
  readonly problem: string | undefined;
  /** Reads the record now (after a cancel, say). */
  refresh(): void;
}

/**
 * A run's record kept current: `follow()` gives the record, then a change for each event of the run, on
 * which the record is read again (at most every REFRESH_THROTTLE_MS), then the final record. The record
 * is read rather than patched with each change: a change that predates the record read last would set a
 * task back (and a change carries no output or waiting reason). A broken stream is followed again after
 * RECONNECT_MS until the run has ended; while it is live the record is also read every LIVE_REREAD_MS.
 */
export function useLiveRun(
  client: MeshClient,
  workflow: string,
  runId: string,
  problemOf: (err: unknown) => string | undefined,
): LiveRun {
  const [record, setRecord] = useState<RunRecord | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const refreshRef = useRef<() => void>(() => undefined);
  const problemRef = useRef(problemOf);
  problemRef.current = problemOf;

  useEffect(() => {
    setRecord(undefined);
    setProblem(undefined);
    const ctl = new AbortController();
    const { signal } = ctl;
    let ended = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastRead = 0;
    let reading = false;
    let readAgain = false;

    const show = (r: RunRecord) => {
      if (signal.aborted) return;
      setRecord(r);
      setProblem(undefined);
      if (isFinalRunStatus(r.status)) ended = true;
    };
    const fail = (err: unknown) => {
      if (signal.aborted) return;
      if (err instanceof MeshApiError && FINAL_ANSWERS.has(err.status)) ended = true;
      setProblem(problemRef.current(err));
    };
    const read = async () => {
      if (reading) {
        readAgain = true;
        return;
      }
      reading = true;
      readAgain = false;
      lastRead = Date.now();
      try {
        show(await client.get(workflow, runId, { signal }));
      } catch (err) {
        fail(err);
      } finally {
        reading = false;
        // A change came in while reading: what the read returned may predate it.
        if (readAgain) refresh();
      }
    };
    /** Reads now, or once REFRESH_THROTTLE_MS has passed since the last read; one pending read at most. */
    const refresh = () => {
      if (timer !== undefined || signal.aborted) return;
      const wait = Math.max(0, lastRead + REFRESH_THROTTLE_MS - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        void read(); // read reports its own errors
      }, wait);
    };
    refreshRef.current = refresh;

    const followLoop = async () => {
      while (!signal.aborted && !ended) {
        try {
          for await (const ev of client.follow(workflow, runId, { signal })) {
            if (ev.type === 'change') refresh();
            else show(ev.record);
          }
        } catch (err) {
          fail(err);
        }
        if (signal.aborted || ended) break;
        // The stream closed early or broke: read the record (it may have ended meanwhile), then follow again.
        await read();
        await new Promise((r) => setTimeout(r, RECONNECT_MS));
      }
    };
    void followLoop(); // never rejects: every error is caught inside
    const reread = setInterval(() => {
      if (!ended) refresh();
    }, LIVE_REREAD_MS);
    return () => {
      ctl.abort();
      clearTimeout(timer);
      clearInterval(reread);
    };
  }, [client, workflow, runId]);

  return { record, problem, refresh: () => refreshRef.current() };
}
