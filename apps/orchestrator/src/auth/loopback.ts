import { isIP } from 'node:net';
import type { ListenAddress } from '@mesh/config';

/** Where the API listens without any token: IPv4 loopback. */
export const LOOPBACK_HOST = '127.0.0.1';

/** Whether `host` names only this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string | undefined): boolean {
  if (host === undefined) return false;
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * The address to listen on: the configured one when tokens protect the API; without any token, the
 * configured host only if it is loopback, else 127.0.0.1 on the configured port (an open API must not
 * be reachable from other hosts).
 */
export function listenAddressFor(configured: ListenAddress, tokensConfigured: boolean): ListenAddress {
  if (tokensConfigured || isLoopback(configured.host)) return configured;
  return Object.freeze({ host: LOOPBACK_HOST, port: configured.port });
}
