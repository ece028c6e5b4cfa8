import { isMeshError, UnavailableError } from '@mesh/errors';

/**
 * Runs a request's Redis work: a failure (Redis down, a dropped connection, a refused command) or no
 * answer within `timeoutMs` becomes an UnavailableError (503 with Retry-After), never a 500 or a hang.
 * Mesh's own errors (404, 400, …) pass through.
 */
export async function redisCall<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const running = work();
  running.catch(() => undefined); // after a timeout nobody waits for it
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UnavailableError(`Redis did not answer within ${timeoutMs} ms; retry later`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([running, timeout]);
  } catch (err) {
    if (isMeshError(err)) throw err;
    throw new UnavailableError('Redis is unavailable; retry later', err);
  } finally {
    clearTimeout(timer);
  }
}
