import { hostname } from 'node:os';
import { parseListenAddress, parseName } from './parsers';
import { setting } from './setting';

/** The worker domain of a runner without MESH_DOMAIN, and of tenants without an override. */
export const DEFAULT_DOMAIN = 'default';

/**
 * The settings of each service that something besides the service reads or sets (the local launcher,
 * the compose manifest, the generated docs), keyed by app name (`dist/apps/<app>`). Each service's
 * config.ts takes them from here. Names and defaults are public: dashboards, scrape jobs and scripts
 * point at the ports.
 */
export const SERVICE_SETTINGS = {
  supervisor: {
    listen: setting({
      env: 'SUPERVISOR_METRICS_LISTEN',
      flag: '--metrics-listen',
      default: ':9098',
      parse: parseListenAddress,
      doc: 'Where /metrics, /healthz and /readyz are served: host:port or :port.',
    }),
    defaultDomain: setting({
      env: 'MESH_DEFAULT_DOMAIN',
      default: DEFAULT_DOMAIN,
      parse: parseName,
      doc: 'Domain for tenants without an override.',
    }),
    supervisorId: setting({
      env: 'SUPERVISOR_ID',
      default: hostname(),
      docDefault: 'the host name',
      parse: parseName,
      doc: "This supervisor's consumer name in the supervisor group; give each supervisor its own.",
    }),
  },
  'env-runner': {
    listen: setting({
      env: 'RUNNER_LISTEN',
      default: ':8083',
      parse: parseListenAddress,
      doc: 'Where /prometheus, /metrics, /hardware, /healthz and /readyz are served: host:port or :port.',
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
      doc: 'This runner\'s id: its consumer name in the runners group and its "worker" label.',
    }),
  },
  orchestrator: {
    listen: setting({
      env: 'ORCHESTRATOR_LISTEN',
      default: ':9097',
      parse: parseListenAddress,
      doc: 'Where the HTTP API, /metrics, /healthz and /readyz are served: host:port or :port.',
    }),
    orchestratorId: setting({
      env: 'ORCHESTRATOR_ID',
      default: hostname(),
      docDefault: 'the host name',
      parse: parseName,
      doc: "This orchestrator's consumer name in the orchestrator group; give each its own.",
    }),
  },
};

/** The app names of the Mesh services. */
export type ServiceName = keyof typeof SERVICE_SETTINGS;

/**
 * The env vars of the orchestrator's API tokens (its settings parse them: apps/orchestrator/src/config.ts). Named
 * here so that whatever starts an orchestrator (the local launcher) passes the same names.
 */
export const API_TOKEN_ENVS = Object.freeze({ admin: 'MESH_API_TOKEN', tenants: 'MESH_API_TOKENS' } as const);
