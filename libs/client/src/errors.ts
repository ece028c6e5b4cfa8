/**
 * An answer of the API that is not a success: `status` and the stable `code` of its JSON error body
 * (`{"error": {"code", "message", "details?"}}`); `details` lists the problems when there are several.
 * Branch on `code`, never on the message.
 */
export class MeshApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: readonly string[];
  /** Seconds the server asked to wait before retrying (429, 503), when it said. */
  readonly retryAfterS: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { details?: readonly string[]; retryAfterS?: number } = {},
  ) {
    super(message);
    this.name = 'MeshApiError';
    this.status = status;
    this.code = code;
    this.details = Object.freeze([...(options.details ?? [])]);
    this.retryAfterS = options.retryAfterS;
  }
}

/** The request never got an answer: the server is unreachable, the connection broke, or the answer was cut. */
export class MeshNetworkError extends Error {
  readonly code = 'MESH_NETWORK';
  /** The URL asked (without credentials). */
  readonly url: string;

  constructor(url: string, reason: string, cause?: unknown) {
    super(`cannot reach ${url}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'MeshNetworkError';
    this.url = url;
  }
}

/** A URL safe to print: never credentials, never a token in the query. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) if (/token|key|secret/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url;
  }
}

/** Why fetch failed, in words: undici hides the system error (ECONNREFUSED, ENOTFOUND…) in `cause`. */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string')
    return typeof cause.message === 'string' && cause.message.includes(cause.code)
      ? cause.message
      : `${cause.code}${typeof cause.message === 'string' && cause.message ? ` (${cause.message})` : ''}`;
  if (cause && typeof cause.message === 'string' && cause.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Builds the error of a non-2xx answer from its body (JSON error, or whatever a proxy sent). */
export async function apiErrorOf(res: Response): Promise<MeshApiError> {
  const text = await res.text().catch(() => '');
  const retry = Number(res.headers.get('retry-after'));
  const options = Number.isFinite(retry) && retry > 0 ? { retryAfterS: retry } : {};
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const e = body.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      const details = Array.isArray(e.details) ? e.details.filter((d): d is string => typeof d === 'string') : [];
      return new MeshApiError(res.status, e.code, e.message, { ...options, details });
    }
  } catch {
    // Not JSON: described below by its status.
  }
  const statusText = res.statusText ? ` ${res.statusText}` : '';
  return new MeshApiError(res.status, `HTTP_${res.status}`, `the server answered ${res.status}${statusText}`, options);
}
