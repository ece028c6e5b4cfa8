import { decodeEntry, encodeEntry, fieldMap, type Decoded, type EntryFields } from './codec';
import { backoffDelay, sleep } from './backoff';
import { isNoGroupError, type Redis } from './redis';
import type { DeadLetter, DeadLetterReason, MessageField, MessageTypes } from './messages';

/** A decoded entry handed to the caller. `deliveries` is 1 for a first read, more once reclaimed. */
export interface ConsumedEntry<T> {
  readonly id: string;
  readonly message: T;
  readonly fields: EntryFields;
  readonly deliveries: number;
}

/** Reclaimed entries: those to process, and those past the delivery limit (not yet dead-lettered). */
export interface ReclaimResult<T> {
  readonly entries: ConsumedEntry<T>[];
  readonly exhausted: ConsumedEntry<T>[];
}

export interface StreamConsumerOptions {
  /** The consumer's own connection for blocking reads; the consumer owns it and disconnects it on close(). */
  readonly blocking: Redis;
  /** A shared connection for acks, claims and dead letters (never blocked). */
  readonly commands: Redis;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  /** The dead-letter stream (`mesh:dead`). */
  readonly deadStream: string;
  /** Entries per read or claim (default 100). */
  readonly batchSize?: number;
  /** How long a read blocks when the stream is empty, in ms (default 2000). */
  readonly blockMs?: number;
  /** How long an entry must sit unacked before another consumer may reclaim it, in ms (default 15000). */
  readonly claimIdleMs?: number;
  /** Deliveries after which an entry is given up (default 5). */
  readonly maxDeliveries?: number;
  /** Approximate cap of the dead-letter stream (default 100000 entries). */
  readonly deadLetterMaxLen?: number;
  /** Backoff after a failed read: base and cap in ms (defaults 100 and 5000). */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  readonly now?: () => number;
  /** Called for each entry sent to the dead-letter stream. */
  readonly onDeadLetter?: (
    reason: DeadLetterReason,
    entryId: string,
    detail: string,
    fields: EntryFields | null,
  ) => void;
  /**
   * Called when a read, a reclaim or a group re-creation failed (the consumer backs off and goes on). The same
   * error again is reported once per `errorIntervalMs` while it lasts, and at once after a success.
   */
  readonly onError?: (err: Error) => void;
  /** How long a repeated error goes unreported while the failure lasts, in ms (default 10000). */
  readonly errorIntervalMs?: number;
  /** Decodes an entry (default: the v1 entry of the consumer's message field). */
  readonly decode?: (fields: EntryFields) => Decoded<unknown>;
}

export const CONSUMER_DEFAULTS = Object.freeze({
  batchSize: 100,
  blockMs: 2000,
  claimIdleMs: 15_000,
  maxDeliveries: 5,
  deadLetterMaxLen: 100_000,
  retryBaseMs: 100,
  retryCapMs: 5000,
  errorIntervalMs: 10_000,
});

/** What a reported error came from: a success of the same kind ends its streak. */
type Operation = 'read' | 'reclaim';

type RawEntry = [id: string, fields: string[] | null];

/**
 * renew: renews the lease of entries a consumer is still working on, and only of those it still owns. For each
 * entry pending for this consumer, XCLAIM to itself with min-idle 0 and JUSTID resets its idle time without
 * counting a delivery; an entry another consumer took over (after this one's lease lapsed) or no longer
 * pending is left alone, so a stalled consumer that wakes up never takes work back.
 * KEYS: 1 stream. ARGV: group consumer, then the entry ids. Reply: the ids renewed.
 */
const RENEW_LUA = `
local stream = KEYS[1]
local group, consumer = ARGV[1], ARGV[2]
local renewed = {}
for i = 3, #ARGV do
  local row = redis.call('XPENDING', stream, group, ARGV[i], ARGV[i], 1, consumer)[1]
  if row then
    redis.call('XCLAIM', stream, group, consumer, 0, ARGV[i], 'JUSTID')
    renewed[#renewed + 1] = ARGV[i]
  end
end
return renewed
`;

type WithRenew = Redis & {
  meshRenewLeases(stream: string, group: string, consumer: string, ...ids: string[]): Promise<string[]>;
};

/**
 * A consumer of one stream in one consumer group, for messages of type `F`. Reads block on their own
 * connection; close() disconnects it, which ends a blocking read at once. Malformed entries are
 * dead-lettered (and acked) as they are read, so callers only ever see valid messages.
 */
export class RedisStreamConsumer<F extends MessageField> {
  private readonly o: Required<Omit<StreamConsumerOptions, 'onDeadLetter' | 'onError' | 'decode'>> &
    Pick<StreamConsumerOptions, 'onDeadLetter' | 'onError' | 'decode'>;
  private readonly closing = new AbortController();
  private failures = 0;
  /** When each error of a failure streak was last reported, by operation and message. */
  private readonly reported = new Map<string, number>();

  constructor(
    private readonly field: F,
    options: StreamConsumerOptions,
  ) {
    this.o = { ...CONSUMER_DEFAULTS, now: Date.now, ...options };
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Creates the group (and the stream) if missing, from the stream's start so nothing written earlier is missed. */
  async ensureGroup(): Promise<void> {
    try {
      await this.o.commands.xgroup('CREATE', this.o.stream, this.o.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('BUSYGROUP'))) throw err;
    }
  }

  /**
   * Reads up to `count` (default `batchSize`) new entries, blocking up to `blockMs`. Resolves [] when nothing came, when
   * closed, or after a failure (having backed off; a lost group is re-created). Never rejects.
   */
  async readBatch(count: number = this.o.batchSize): Promise<ConsumedEntry<MessageTypes[F]>[]> {
    if (this.closed || count < 1) return [];
    let reply: unknown;
    try {
      reply = await this.o.blocking.call(
        'XREADGROUP',
        'GROUP',
        this.o.group,
        this.o.consumer,
        'COUNT',
        count,
        'BLOCK',
        this.blockFor(),
        'STREAMS',
        this.o.stream,
        '>',
      );
    } catch (err) {
      await this.recover(err);
      return [];
    }
    this.failures = 0;
    this.succeeded('read');
    const entries = (reply as Array<[string, RawEntry[]]> | null)?.[0]?.[1] ?? [];
    return this.accept(entries.map(([id, fields]) => ({ id, fields: fields ?? [], deliveries: 1 })));
  }

  /**
   * Claims up to `count` (default `batchSize`) entries that other consumers left idle for `claimIdleMs`, with their
   * delivery counts. Entries delivered more than `maxDeliveries` times come back in `exhausted`: the caller settles
   * them (e.g. acks the task as failed) and then calls deadLetter(). Never rejects: a failure is reported to
   * onError and gives an empty result.
   *
   * The counts are read (XPENDING … IDLE) before anything is claimed (XCLAIM, which counts a delivery), so a
   * refused or failed command claims nothing: an outage never pushes entries towards the delivery limit.
   */
  async reclaim(count: number = this.o.batchSize): Promise<ReclaimResult<MessageTypes[F]>> {
    const empty = { entries: [], exhausted: [] };
    if (this.closed || count < 1) return empty;
    let claimed: Array<RawEntry | null>;
    let deliveries: Map<string, number>;
    try {
      const idle = (await this.o.commands.call(
        'XPENDING',
        this.o.stream,
        this.o.group,
        'IDLE',
        this.o.claimIdleMs,
        '-',
        '+',
        count,
      )) as Array<[string, string, number, number]>;
      if (idle.length === 0) {
        this.succeeded('reclaim');
        return empty;
      }
      // Claimed now, so delivered once more than XPENDING said.
      deliveries = new Map(idle.map(([id, , , n]) => [id, Number(n) + 1]));
      // Min-idle again: an entry another consumer claimed meanwhile (its idle time reset) is left to it.
      claimed = (await this.o.commands.call(
        'XCLAIM',
        this.o.stream,
        this.o.group,
        this.o.consumer,
        this.o.claimIdleMs,
        ...idle.map(([id]) => id),
      )) as Array<RawEntry | null>;
    } catch (err) {
      if (this.closed) return empty;
      if (isNoGroupError(err)) await this.ensureGroup().catch((e: Error) => this.report('reclaim', e));
      else this.report('reclaim', err as Error);
      return empty;
    }
    // A Redis before 7 answers nil for an entry deleted (trimmed) while pending: drop it from the pending list.
    const present = claimed.filter((e): e is [string, string[]] => e !== null && e[1] !== null);
    const deleted = claimed.flatMap((e) => (e !== null && e[1] === null ? [e[0]] : []));
    this.succeeded('reclaim');
    if (deleted.length > 0) await this.ack(deleted).catch((e: Error) => this.report('reclaim', e));
    const decoded = await this.accept(
      present.map(([id, fields]) => ({ id, fields, deliveries: deliveries.get(id) ?? 1 })),
    );
    const entries: ConsumedEntry<MessageTypes[F]>[] = [];
    const exhausted: ConsumedEntry<MessageTypes[F]>[] = [];
    for (const entry of decoded) (entry.deliveries > this.o.maxDeliveries ? exhausted : entries).push(entry);
    return { entries, exhausted };
  }

  /**
   * Renews the lease of entries this consumer is still working on: XCLAIM to itself with JUSTID resets their
   * idle time (without counting a delivery), so no other consumer reclaims them while they run. Entries that
   * are no longer pending here (acked, or taken by another consumer after a lapse) are left alone. Resolves
   * with the ids renewed.
   */
  async renew(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0 || this.closed) return [];
    const redis = this.o.commands as WithRenew;
    if (typeof redis.meshRenewLeases !== 'function')
      this.o.commands.defineCommand('meshRenewLeases', { numberOfKeys: 1, lua: RENEW_LUA });
    const renewed: string[] = [];
    for (let i = 0; i < ids.length; i += 500)
      renewed.push(
        ...(await redis.meshRenewLeases(this.o.stream, this.o.group, this.o.consumer, ...ids.slice(i, i + 500))),
      );
    return renewed;
  }

  /** Acknowledges entries, pipelined in chunks. */
  async ack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const pipeline = this.o.commands.pipeline();
    for (let i = 0; i < ids.length; i += 1000) pipeline.xack(this.o.stream, this.o.group, ...ids.slice(i, i + 1000));
    const results = (await pipeline.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
  }

  /**
   * Writes each entry to the dead-letter stream with its reason, then acks the entries whose letter was
   * written: an entry whose letter Redis refused stays pending, to be tried again. Two round trips (the
   * dead-letter stream and this one may be on different nodes of a cluster, which keep no order between them).
   */
  async deadLetter(
    entries: ReadonlyArray<{ readonly id: string; readonly fields: EntryFields | null; readonly deliveries: number }>,
    reason: DeadLetterReason,
    detail: string | ((id: string) => string),
  ): Promise<void> {
    if (entries.length === 0) return;
    const letters = this.o.commands.pipeline();
    const details = new Map<string, string>();
    for (const entry of entries) {
      const text = typeof detail === 'string' ? detail : detail(entry.id);
      details.set(entry.id, text);
      const letter: DeadLetter = {
        stream: this.o.stream,
        group: this.o.group,
        consumer: this.o.consumer,
        entryId: entry.id,
        reason,
        detail: text,
        deliveries: entry.deliveries,
        fields: Object.fromEntries(fieldMap(entry.fields)),
        at: this.o.now(),
      };
      letters.xadd(this.o.deadStream, 'MAXLEN', '~', this.o.deadLetterMaxLen, '*', ...encodeEntry('dead', letter));
    }
    const results = (await letters.exec()) ?? [];
    const written = entries.filter((_, i) => results[i] !== undefined && !results[i]?.[0]);
    if (written.length > 0) await this.o.commands.xack(this.o.stream, this.o.group, ...written.map((e) => e.id));
    for (const entry of written) this.o.onDeadLetter?.(reason, entry.id, details.get(entry.id) ?? '', entry.fields);
    if (written.length < entries.length) {
      const refused = results.find(([err]) => err)?.[0];
      throw refused instanceof Error ? refused : new Error('no reply to a dead letter');
    }
  }

  /** Stops reading: a blocking read in progress ends at once; later reads resolve []. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closing.abort();
    this.o.blocking.disconnect();
  }

  private async accept(
    raw: Array<{ id: string; fields: string[]; deliveries: number }>,
  ): Promise<ConsumedEntry<MessageTypes[F]>[]> {
    const good: ConsumedEntry<MessageTypes[F]>[] = [];
    const bad = new Map<
      DeadLetterReason,
      Array<{ id: string; fields: string[]; deliveries: number; detail: string }>
    >();
    for (const entry of raw) {
      const decoded = (this.o.decode?.(entry.fields) ?? decodeEntry(this.field, entry.fields)) as Decoded<
        MessageTypes[F]
      >;
      if (decoded.ok) {
        good.push({ id: entry.id, message: decoded.message, fields: entry.fields, deliveries: entry.deliveries });
      } else {
        const list = bad.get(decoded.reason) ?? [];
        list.push({ ...entry, detail: decoded.detail });
        bad.set(decoded.reason, list);
      }
    }
    for (const [reason, list] of bad) {
      const details = new Map(list.map((e) => [e.id, e.detail]));
      try {
        await this.deadLetter(list, reason, (id) => details.get(id) ?? '');
      } catch (err) {
        // Left pending: the entry is reclaimed and dead-lettered again later, never lost.
        this.report('read', err as Error);
      }
    }
    return good;
  }

  /** blockMs, kept under the blocking connection's command timeout so that an idle read never counts as a hang. */
  private blockFor(): number {
    const limit = this.o.blocking.options.commandTimeout;
    if (typeof limit !== 'number' || limit <= 0) return this.o.blockMs;
    return Math.max(1, Math.min(this.o.blockMs, limit - Math.min(1000, Math.floor(limit / 2))));
  }

  private async recover(err: unknown): Promise<void> {
    if (this.closed) return;
    const delay = backoffDelay(this.failures++, this.o.retryBaseMs, this.o.retryCapMs);
    if (!isNoGroupError(err)) this.report('read', err as Error);
    await sleep(Math.max(delay, this.o.retryBaseMs / 2), this.closing.signal);
    if (this.closed) return;
    if (isNoGroupError(err)) {
      try {
        await this.ensureGroup();
      } catch (e) {
        this.report('read', e as Error);
      }
    }
  }

  /** Hands `err` to onError unless the same error of the same operation was reported within errorIntervalMs. */
  private report(operation: Operation, err: Error): void {
    const key = `${operation}\u0000${String(err.message).slice(0, 200)}`;
    const now = this.o.now();
    const last = this.reported.get(key);
    if (last !== undefined && now - last < this.o.errorIntervalMs) return;
    this.reported.set(key, now);
    this.o.onError?.(err);
  }

  /** A success ends the failure streak of its operation: its next error is reported at once. */
  private succeeded(operation: Operation): void {
    if (this.reported.size === 0) return;
    for (const key of this.reported.keys()) if (key.startsWith(`${operation}\u0000`)) this.reported.delete(key);
  }
}

/**
 * Whether a stream entry was delivered to a consumer of `group`: it is pending there, or the group has read
 * past it (delivered and acked). Used to tell an assignment a runner took from one still waiting.
 */
export async function wasDelivered(redis: Redis, stream: string, group: string, entryId: string): Promise<boolean> {
  const pending = (await redis.xpending(stream, group, entryId, entryId, 1)) as unknown[];
  if (pending.length > 0) return true;
  const groups = (await redis.call('XINFO', 'GROUPS', stream)) as Array<Array<string | number>>;
  for (const g of groups) {
    const name = g[g.indexOf('name') + 1];
    const last = g[g.indexOf('last-delivered-id') + 1];
    if (name === group && typeof last === 'string') return compareIds(last, entryId) >= 0;
  }
  return false;
}

function compareIds(a: string, b: string): number {
  const [ams, aseq] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bms, bseq] = b.split('-').map(BigInt) as [bigint, bigint];
  return ams === bms ? Number(aseq - bseq) : ams < bms ? -1 : 1;
}
