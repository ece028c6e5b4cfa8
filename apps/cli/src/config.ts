import { UsageError } from './errors';

/** Where the orchestrator is when neither --url nor MESH_URL says. */
export const DEFAULT_MESH_URL = 'http://127.0.0.1:9097';
/** How often `--watch` prints a progress line when its output is not a terminal. */
export const DEFAULT_WATCH_INTERVAL_MS = 5000;

/** The CLI's settings: flags over the environment over the defaults. */
export interface CliConfig {
  /** `--url`, `MESH_URL`. */
  readonly url: string;
  /** `--token`, `MESH_TOKEN`: sent as the bearer token, never printed. */
  readonly token: string | undefined;
  /** `MESH_WATCH_INTERVAL_MS`: progress lines when not on a terminal. */
  readonly watchIntervalMs: number;
}

/** Reads the settings once; the only reader of the environment besides main.ts. */
export function loadCliConfig(
  env: Readonly<Record<string, string | undefined>>,
  flags: { url?: string; token?: string },
): CliConfig {
  const url = flags.url ?? (env['MESH_URL'] || DEFAULT_MESH_URL);
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url))
    throw new UsageError(
      `${flags.url !== undefined ? '--url' : 'MESH_URL'}: ${JSON.stringify(url)} is not an http(s) URL`,
    );
  const rawInterval = env['MESH_WATCH_INTERVAL_MS'];
  const watchIntervalMs = rawInterval ? Number(rawInterval) : DEFAULT_WATCH_INTERVAL_MS;
  if (!Number.isInteger(watchIntervalMs) || watchIntervalMs < 10)
    throw new UsageError(`MESH_WATCH_INTERVAL_MS: ${JSON.stringify(rawInterval)} is not an integer of at least 10`);
  return Object.freeze({ url, token: flags.token ?? (env['MESH_TOKEN'] || undefined), watchIntervalMs });
}
