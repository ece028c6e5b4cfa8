import type { Redis } from './redis';
import { encodeEntry } from './codec';
import type { MessageField, MessageTypes } from './messages';

/**
 * Appends messages to a stream in one pipelined round trip. Streams read by consumer groups are not
 * trimmed here (entries are only ever trimmed below what every group has acknowledged); a feed that no
 * group owes anything, such as mesh:run-events, is capped with `maxLen` (approximate, as XADD MAXLEN ~).
 */
export class StreamPublisher {
  constructor(private readonly redis: Redis) {}

  /** Publishes `messages` in order; resolves to their entry ids, or rejects with the first error. */
  async publish<F extends MessageField>(
    stream: string,
    field: F,
    messages: ReadonlyArray<MessageTypes[F]>,
    options: { maxLen?: number } = {},
  ): Promise<string[]> {
    if (messages.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const message of messages) {
      if (options.maxLen === undefined) pipeline.xadd(stream, '*', ...encodeEntry(field, message));
      else pipeline.xadd(stream, 'MAXLEN', '~', options.maxLen, '*', ...encodeEntry(field, message));
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([err, id]) => {
      if (err) throw err;
      return id as string;
    });
  }
}
