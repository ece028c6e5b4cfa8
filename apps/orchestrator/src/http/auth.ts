import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { MeshError } from '@mesh/errors';

/** Missing or wrong bearer token. */
export class UnauthorizedError extends MeshError {
  constructor() {
    super('MESH_UNAUTHORIZED', 'a valid bearer token is required', { status: 401 });
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Requires `Authorization: Bearer <token>` when a token is configured. Compares SHA-256 digests with
 * timingSafeEqual, so neither the token's content nor its length leaks through timing.
 */
export function requireBearer(token: string | undefined, onRefused: () => void = () => undefined) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!expected) return next();
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1] as string), expected)) return next();
    onRefused();
    res.set('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError());
  };
}
