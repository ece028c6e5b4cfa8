import { parseListenAddress, parseName, setting, SHARED_SETTINGS, TENANT_DOMAIN_MAP_SETTING, type ConfigOf } from '@mesh/config';

export const DEFAULT_METRICS_LISTEN = ':9098';
export const DEFAULT_DOMAIN = 'default';

/** Every setting of the supervisor. */
export const SUPERVISOR_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: setting({
    env: 'SUPERVISOR_METRICS_LISTEN',
    flag: '--metrics-listen',
    default: DEFAULT_METRICS_LISTEN,
    parse: parseListenAddress,
    doc: 'Where /metrics, /healthz and /readyz are served: host:port or :port.',
  }),
  tenantDomainMap: TENANT_DOMAIN_MAP_SETTING,
  defaultDomain: setting({
    env: 'MESH_DEFAULT_DOMAIN',
    default: DEFAULT_DOMAIN,
    parse: parseName,
    doc: 'Domain for tenants without an override.',
  }),
};

export type SupervisorConfig = ConfigOf<typeof SUPERVISOR_SETTINGS>;
