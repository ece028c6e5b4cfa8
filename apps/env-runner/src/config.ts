import { hostname } from 'node:os';
import { parseListenAddress, parseName, setting, SHARED_SETTINGS, type ConfigOf } from '@mesh/config';

export const DEFAULT_RUNNER_LISTEN = ':8083';
export const DEFAULT_DOMAIN = 'default';

/** Every setting of the env runner. */
export const ENV_RUNNER_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: setting({
    env: 'RUNNER_LISTEN',
    default: DEFAULT_RUNNER_LISTEN,
    parse: parseListenAddress,
    doc: 'Where /prometheus, /metrics, /healthz and /readyz are served: host:port or :port.',
  }),
  domain: setting({
    env: 'MESH_DOMAIN',
    default: DEFAULT_DOMAIN,
    parse: parseName,
    doc: 'The worker domain this runner serves (it reads mesh:assignments:<domain>).',
  }),
  runnerId: setting({
    env: 'RUNNER_ID',
    // The host name is stable across restarts, so metric series and consumer names do not churn.
    default: hostname(),
    docDefault: 'the host name',
    parse: parseName,
    doc: 'This runner\'s id: its consumer name and its "worker" label. Default: the host name.',
  }),
};

export type EnvRunnerConfig = ConfigOf<typeof ENV_RUNNER_SETTINGS>;
