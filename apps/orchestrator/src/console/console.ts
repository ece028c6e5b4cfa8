import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { MeshError } from '@mesh/errors';
import { routeLabel } from '../http/request-metrics';

export interface ConsoleOptions {
  /** The built console (index.html, app.js, app.css); '' or missing: `/` says how to build it. */
  readonly dir: string;
  /** The links the console shows (e.g. each service's metrics). */
  readonly links: ReadonlyArray<{ name: string; url: string }>;
}

/** The console's own files only: scripts and styles from this origin, API calls to it, nothing inline. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the console is built beside the orchestrator's bundle (dist/apps/orchestrator → dist/apps/console). */
export function defaultConsoleDir(): string {
  return join(__dirname, '..', 'console');
}

/**
 * The web console: its static files at `/` (no authentication: they hold no data; the console asks for a
 * token and sends it with each API call) and `GET /console/config.json` (the links it shows). Served with a
 * strict Content-Security-Policy, so nothing but the console's own script runs on the page.
 */
export function consoleRoutes(o: ConsoleOptions): Router {
  const router = Router();
  const secure = (_req: Request, res: Response, next: NextFunction): void => {
    res.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  };
  router.get('/console/config.json', routeLabel('GET /console/config.json'), secure, (_req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store').json({ links: o.links });
  });
  const built = o.dir !== '' && existsSync(join(o.dir, 'index.html'));
  if (built) {
    // The files of the console's folder, read once: nothing else is ever served from it.
    const files = new Set(
      readdirSync(o.dir, { withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => f.name),
    );
    const send = (name: string, res: Response, next: NextFunction): void =>
      res.sendFile(name, { root: o.dir, dotfiles: 'deny', headers: { 'Cache-Control': 'no-cache' } }, (err) => {
        if (err) next(err);
      });
    router.get('/', routeLabel('GET /'), secure, (_req: Request, res: Response, next: NextFunction) =>
      send('index.html', res, next),
    );
    router.get('/:file', (req: Request, res: Response, next: NextFunction) => {
      const name = req.params['file'] as string;
      if (!files.has(name)) return next();
      res.locals['route'] = 'GET /{file}';
      secure(req, res, () => send(name, res, next));
    });
  } else {
    router.get('/', routeLabel('GET /'), () => {
      throw new MeshError(
        'MESH_CONSOLE_NOT_BUILT',
        'the web console is not built: run "npm run build" (or set ORCHESTRATOR_CONSOLE_DIR to its folder)',
        { status: 404 },
      );
    });
  }
  return router;
}
