import type { Logger } from '@mesh/logging';
import {
  decodeEntry,
  runIdTime,
  sleep,
  whenReady,
  type MeshKeys,
  type Redis,
  type RunEvent,
} from '@mesh/mesh-protocol';

/** One entry of the feed, as a reader of one run sees it. */
export interface FeedEntry {
  /** The entry's id on mesh:run-events (SSE's event id). */
  readonly id: string;
  readonly event: RunEvent;
}

export type FeedListener = (entry: FeedEntry) => void;

export interface RunEventHubOptions {
  /** Makes the connection one partition's feed is read on (the reader blocks on it), when first listened to. */
  readonly connect: (partition: number) => Redis;
  /** For replays (XRANGE); may be shared. */
  readonly redis: Redis;
  readonly keys: MeshKeys;
  readonly logger: Logger;
  /** How long one read blocks, in ms (under the blocking connection's command timeout). */
  readonly blockMs?: number;
  /** Entries read at once. */
  readonly batch?: number;
}

interface FeedReaderOptions extends Omit<RunEventHubOptions, 'connect' | 'keys'> {
  /** The feed: one partition's mesh:run-events. */
  readonly stream: string;
  /** A connection of its own: the reader blocks on it. */
  readonly blocking: Redis;
}

/** The run id an entry's event names, read without decoding it (undefined when it names none plainly). */
function runIdOf(fields: string[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'event') return /"runId":"([^"\\]+)"/.exec(fields[i + 1] as string)?.[1];
  }
  return undefined;
}

/** Compares two stream ids ("ms-seq"): negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

/**
 * Fans the public feed (mesh:run-events) out to the readers of single runs (the SSE streams). A run's changes
 * are on its partition's feed; each partition listened to has one blocking XREAD loop per orchestrator,
 * running only while someone listens, that hands each entry to the listeners of its run. A listener added
 * with subscribe() gets every entry written after subscribe() resolved. The feed is not the store: a reader
 * that needs the state reads the run's record.
 */
export class RunEventHub {
  private readonly readers = new Map<number, FeedReader>();
  private closed = false;
  private readonly closers = new Set<() => void>();

  constructor(private readonly o: RunEventHubOptions) {}

  /** Listens to the entries of `runId`; resolves once every later entry is sure to reach it. Returns the unsubscribe. */
  subscribe(runId: string, listener: FeedListener): Promise<() => void> {
    if (this.closed) return Promise.reject(new Error('the event hub is closed'));
    return this.readerOf(runId).subscribe(runId, listener);
  }

  /** The entries of `runId` after `afterId` that its feed still holds, oldest first (for Last-Event-ID). */
  replay(runId: string, afterId: string, max?: number, maxPages?: number): Promise<FeedEntry[]> {
    if (this.closed) return Promise.reject(new Error('the event hub is closed'));
    return this.readerOf(runId).replay(runId, afterId, max, maxPages);
  }

  /** Calls `fn` when the hub closes (an event stream ends then, so the HTTP server can close). Returns the undo. */
  onClose(fn: () => void): () => void {
    if (this.closed) {
      fn();
      return () => undefined;
    }
    this.closers.add(fn);
    return () => this.closers.delete(fn);
  }

  /** Stops reading; listeners get nothing more, and every onClose callback is called. */
  async close(): Promise<void> {
    this.closed = true;
    for (const fn of [...this.closers]) {
      try {
        fn();
      } catch (err) {
        this.o.logger.warn({ err }, 'ending an event stream failed');
      }
    }
    this.closers.clear();
    await Promise.all([...this.readers.values()].map((r) => r.close()));
  }

  private readerOf(runId: string): FeedReader {
    const partition = this.o.keys.partitionOf(runId);
    let reader = this.readers.get(partition);
    if (!reader) {
      const { connect: _connect, keys, ...common } = this.o;
      reader = new FeedReader({
        ...common,
        stream: (keys.partitionKeys[partition] ?? keys.ofRun(runId)).runEvents,
        blocking: this.o.connect(partition),
      });
      this.readers.set(partition, reader);
    }
    return reader;
  }
}

/** One feed's blocking reader, started by the first listener and stopped once none is left. */
class FeedReader {
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private count = 0;
  private loop: Promise<void> | undefined;
  private lastId = '0-0';
  private closed = false;
  private stop = new AbortController();

  constructor(private readonly o: FeedReaderOptions) {}

  /** Listens to the entries of `runId`; resolves once every later entry is sure to reach it. Returns the unsubscribe. */
  async subscribe(runId: string, listener: FeedListener): Promise<() => void> {
    if (this.closed) throw new Error('the event hub is closed');
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    this.count++;
    let done = false;
    const unsubscribe = (): void => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
      this.count--;
    };
    if (!this.loop) {
      try {
        // A reader's connection is made when its feed is first listened to: let it connect before reading.
        await whenReady(this.o.blocking, this.o.blockMs ?? 2000);
        // Start after the feed's current end: entries from here on are read.
        const last = await this.o.redis.xrevrange(this.o.stream, '+', '-', 'COUNT', 1);
        if (!this.loop) {
          this.lastId = last[0]?.[0] ?? '0-0';
          this.startLoop();
        }
      } catch (err) {
        unsubscribe();
        throw err;
      }
    }
    return unsubscribe;
  }

  /**
   * The entries of `runId` after `afterId` that the feed still holds, oldest first (for Last-Event-ID). Nothing
   * of a run is older than the run (its id carries its creation time), and at most `maxPages` pages of 1000
   * entries are read, each entry decoded only when it names the run.
   */
  async replay(runId: string, afterId: string, max = 10_000, maxPages = 20): Promise<FeedEntry[]> {
    const out: FeedEntry[] = [];
    const born = runIdTime(runId);
    const floor = born === undefined ? '0-0' : `${Math.max(0, born - 1000)}-0`;
    let from = compareIds(afterId, floor) >= 0 ? `(${afterId}` : floor;
    for (let pages = 0; pages < maxPages; pages++) {
      const page = await this.o.redis.xrange(this.o.stream, from, '+', 'COUNT', 1000);
      for (const [id, fields] of page) {
        if (runIdOf(fields) !== runId) continue;
        const entry = this.entryOf(id, fields);
        if (entry) out.push(entry);
        if (out.length >= max) return out;
      }
      if (page.length < 1000) break;
      from = `(${(page[page.length - 1] as [string, string[]])[0]}`;
    }
    return out;
  }

  /** Stops reading; listeners get nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    this.o.blocking.disconnect();
    await this.loop;
  }

  private startLoop(): void {
    this.loop = this.read().finally(() => {
      this.loop = undefined;
      // A listener that came while the loop was ending: go on from where it stopped.
      if (this.count > 0 && !this.closed) this.startLoop();
    });
  }

  private async read(): Promise<void> {
    const blockMs = this.o.blockMs ?? 2000;
    while (this.count > 0 && !this.closed) {
      try {
        const reply = (await this.o.blocking.xread(
          'COUNT',
          this.o.batch ?? 500,
          'BLOCK',
          blockMs,
          'STREAMS',
          this.o.stream,
          this.lastId,
        )) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            if (!this.listened(fields)) continue;
            const entry = this.entryOf(id, fields);
            if (!entry) continue;
            for (const listener of this.listeners.get(entry.event.runId) ?? []) {
              try {
                listener(entry);
              } catch (err) {
                this.o.logger.warn({ err, runId: entry.event.runId }, 'a run event listener failed');
              }
            }
          }
        }
      } catch (err) {
        if (this.closed) return;
        this.o.logger.warn({ err }, 'reading mesh:run-events failed; retrying');
        await sleep(500, this.stop.signal);
      }
    }
  }

  /** Whether anyone listens to the run an entry names, read without decoding the entry. */
  private listened(fields: string[]): boolean {
    const runId = runIdOf(fields);
    return runId === undefined || this.listeners.has(runId);
  }

  private entryOf(id: string, fields: string[]): FeedEntry | undefined {
    const decoded = decodeEntry('event', fields);
    return decoded.ok ? { id, event: decoded.message } : undefined;
  }
}
