/** Object paths whose values are always replaced, wherever they appear in a log record. */
export const REDACTED_PATHS = [
  'password',
  'token',
  'apiToken',
  'authorization',
  'secret',
  '*.password',
  '*.token',
  '*.apiToken',
  '*.authorization',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
] as const;

export const REDACTED = '[REDACTED]';

const URL_CREDENTIALS = /\b(rediss?|https?|amqps?|postgres(?:ql)?):\/\/([^:/@\s"'\\]*):([^@\s"'\\]+)@/gi;
const QUERY_PASSWORD = /([?&](?:password|pass|pwd|token|secret)=)[^&#\s"'\\]+/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builds a scrubber for serialized log lines: masks passwords in URLs (user:password@ and ?password=), bearer tokens, and every
 * known secret value (as given, and as JSON-escaped), so a secret inside an error message or a
 * free-text field is caught too.
 */
export function createScrubber(secrets: readonly string[] = []): (line: string) => string {
  const literal = [
    ...new Set(
      secrets.filter((s) => s.length >= 3).flatMap((s) => [s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]),
    ),
  ];
  const known =
    literal.length > 0
      ? new RegExp(
          literal
            .sort((a, b) => b.length - a.length)
            .map(escapeRegExp)
            .join('|'),
          'g',
        )
      : undefined;
  return (line) => {
    let out = line
      .replace(URL_CREDENTIALS, `$1://$2:${REDACTED}@`)
      .replace(QUERY_PASSWORD, `$1${REDACTED}`)
      .replace(BEARER, `$1${REDACTED}`);
    if (known) out = out.replace(known, REDACTED);
    return out;
  };
}
