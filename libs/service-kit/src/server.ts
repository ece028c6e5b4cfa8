import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface ListenTarget {
  readonly host: string | undefined;
  readonly port: number;
}

/** Starts serving `app`; resolves with the server once it listens (port 0 picks a free port). */
export function listen(app: Express, target: ListenTarget): Promise<Server> {
  const server = createServer(app);
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target.port, target.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Stops accepting connections, lets requests in progress finish, and drops idle keep-alive sockets. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
