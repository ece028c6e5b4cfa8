import type { NextFunction, Request, Response } from 'express';
import type { ApiTokens, Principal } from './api-tokens';
import { UnauthorizedError } from './errors';

const ADMIN: Principal = Object.freeze({ kind: 'admin' });

/**
 * Sets `res.locals.principal` from `Authorization: Bearer <token>`. With no token configured every
 * request acts as admin (the API then listens on loopback only); otherwise a missing or unknown token
 * is a 401 with `WWW-Authenticate: Bearer`.
 */
export function authenticate(tokens: ApiTokens, onRefused: (req: Request) => void = () => undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!tokens.configured) {
      res.locals['principal'] = ADMIN;
      return next();
    }
    const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
    const principal = match ? tokens.principalOf(match[1] as string) : undefined;
    if (principal) {
      res.locals['principal'] = principal;
      return next();
    }
    onRefused(req);
    res.set('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError());
  };
}

/** The principal `authenticate` set for this request. */
export function principalOf(res: Response): Principal {
  const principal = res.locals['principal'] as Principal | undefined;
  // A route mounted without `authenticate` must fail closed, never act as admin.
  if (!principal) throw new UnauthorizedError();
  return principal;
}

/** The only tenant the principal may see, or undefined for an admin. */
export function tenantScope(principal: Principal): string | undefined {
  return principal.kind === 'tenant' ? principal.tenant : undefined;
}
