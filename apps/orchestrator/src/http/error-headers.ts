import type { NextFunction, Request, Response } from 'express';
import { isMeshError } from '@mesh/errors';
import { OverLimitError } from '../admission/admission';

/** Seconds a client should wait after a 503 before trying again. */
export const UNAVAILABLE_RETRY_AFTER_S = 1;

/**
 * Adds the headers an error's status calls for before the shared error handler writes the JSON body:
 * `Retry-After` on 503 (Redis unavailable) and 429 (admission limit).
 */
export function errorHeaders() {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    if (!res.headersSent) {
      if (err instanceof OverLimitError) res.set('Retry-After', String(err.retryAfterS));
      else if (isMeshError(err) && err.status === 503) res.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
    }
    next(err);
  };
}
