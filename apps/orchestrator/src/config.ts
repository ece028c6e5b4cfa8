import { parseListenAddress, setting, SHARED_SETTINGS, type ConfigOf } from '@mesh/config';

export const DEFAULT_ORCHESTRATOR_LISTEN = ':9097';

/** Every setting of the orchestrator. */
export const ORCHESTRATOR_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: setting({
    env: 'ORCHESTRATOR_LISTEN',
    default: DEFAULT_ORCHESTRATOR_LISTEN,
    parse: parseListenAddress,
    doc: 'Where the HTTP API, /metrics, /healthz and /readyz are served: host:port or :port.',
  }),
};

export type OrchestratorConfig = ConfigOf<typeof ORCHESTRATOR_SETTINGS>;
