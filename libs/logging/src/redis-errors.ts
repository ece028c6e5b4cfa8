/**
 * What a logged error may say about Redis. ioredis puts the failed command on its errors (`command.args`:
 * keys, payloads, the AUTH password) and Redis repeats arguments in some replies ("with args beginning
 * with: …"); both are cut here, keeping the command's name. Connection errors lose their stack: it only
 * ever shows ioredis internals, and they come in bursts while Redis is away.
 */

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

const CONNECTION_MESSAGES = [
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'Socket timeout',
  'Reached the max retries per request limit',
  'Redis did not answer',
];

/** Replies that say Redis cannot serve right now (loading, failing over), as opposed to refusing this command. */
const UNAVAILABLE_REPLIES = /^(LOADING|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|BUSY)\b/;

const REPLY_PREFIXES =
  /^(ERR|WRONGTYPE|NOPERM|NOAUTH|WRONGPASS|NOGROUP|BUSYGROUP|LOADING|READONLY|MASTERDOWN|OOM|BUSY|NOSCRIPT|EXECABORT|CLUSTERDOWN|MOVED|ASK|TRYAGAIN|CROSSSLOT)\b/;

/** ioredis's reply error classes (by version and protocol). */
const REPLY_ERROR_TYPES = new Set(['ReplyError', 'SimpleError', 'BlobError', 'ErrorReply']);

/** Redis repeats the first arguments of an unknown or malformed command in its reply. */
const ARGS_IN_REPLY = /,? with args beginning with:[^\n]*/g;

type Serialized = Record<string, unknown>;

/**
 * True for an error that says Redis is unreachable or cannot serve (loading, failing over), or one caused by such
 * an error (e.g. a 503 it led to).
 */
export function isRedisConnectionError(err: unknown, depth = 0): boolean {
  if (isConnectionError(err)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return depth < 5 && cause !== undefined && cause !== null && isRedisConnectionError(cause, depth + 1);
}

/** True for an error from Redis or its client, or one caused by such an error. */
export function isRedisError(err: unknown, depth = 0): boolean {
  if (isOwnRedisError(err)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return depth < 5 && cause !== undefined && cause !== null && isRedisError(cause, depth + 1);
}

function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if (
    typeof (err as { message?: unknown }).message === 'string' &&
    UNAVAILABLE_REPLIES.test((err as { message: string }).message)
  )
    return true;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; type?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (e.name === 'MaxRetriesPerRequestError' || e.type === 'MaxRetriesPerRequestError') return true;
  return typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => (e.message as string).startsWith(m));
}

function isOwnRedisError(err: unknown): boolean {
  if (isConnectionError(err)) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; type?: unknown; message?: unknown; command?: unknown };
  if (REPLY_ERROR_TYPES.has(String(e.name)) || REPLY_ERROR_TYPES.has(String(e.type))) return true;
  return typeof e.message === 'string' && REPLY_PREFIXES.test(e.message) && e.command !== undefined;
}

/** Cuts command arguments out of a serialized error (and its causes), and the stack of a connection error. */
export function scrubRedisError(serialized: Serialized, original: unknown, depth = 0): Serialized {
  const out: Serialized = { ...serialized };
  const command = out['command'] as { name?: unknown } | undefined;
  if (command && typeof command === 'object') out['command'] = { name: command.name };
  for (const field of ['message', 'stack']) {
    if (typeof out[field] === 'string') out[field] = (out[field] as string).replace(ARGS_IN_REPLY, '');
  }
  if (isRedisConnectionError(original ?? serialized)) delete out['stack'];

  if (depth < 5) {
    const cause = out['cause'];
    if (cause && typeof cause === 'object')
      out['cause'] = scrubRedisError(cause as Serialized, (original as { cause?: unknown })?.cause, depth + 1);
    for (const list of ['previousErrors', 'aggregateErrors', 'errors']) {
      const items = out[list];
      if (Array.isArray(items))
        out[list] = items.map((item, i) =>
          item && typeof item === 'object'
            ? scrubRedisError(
                item as Serialized,
                (original as Record<string, unknown[] | undefined>)?.[list]?.[i],
                depth + 1,
              )
            : item,
        );
    }
    const last = out['lastNodeError'];
    if (last && typeof last === 'object')
      out['lastNodeError'] = scrubRedisError(last as Serialized, undefined, depth + 1);
  }
  return out;
}
