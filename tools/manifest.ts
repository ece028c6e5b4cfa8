import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  DEFAULT_DOMAIN,
  SERVICE_SETTINGS,
  SHARED_SETTINGS,
  TENANT_DOMAIN_MAP_SETTING,
  TenantDomainMap,
  type ListenAddress,
  type Setting,
} from '@mesh/config';
import { DEFAULT_STREAM_PREFIX, validateManifest, type MeshManifest } from '@mesh/mesh-protocol';

/** Where each app serves the metrics Prometheus scrapes, and the setting of its listen address. */
const APPS: Record<string, { metricsPath: string; listen: Setting<ListenAddress> & { default: string } }> = {
  supervisor: { metricsPath: '/metrics', listen: SERVICE_SETTINGS.supervisor.listen },
  'env-runner': { metricsPath: '/prometheus', listen: SERVICE_SETTINGS['env-runner'].listen },
  orchestrator: { metricsPath: '/metrics', listen: SERVICE_SETTINGS.orchestrator.listen },
};

interface ComposeService {
  image?: string;
  build?: { args?: Record<string, string> };
  environment?: Record<string, string | number>;
  networks?: Record<string, { aliases?: string[] } | null> | string[];
}

/**
 * The mesh manifest of a compose file, which is its one source: each Mesh service with its
 * network alias, port and metrics path, the runner domains, and the supervisor's tenant overrides.
 */
export function manifestFromCompose(composePath: string): MeshManifest {
  const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const services: Array<MeshManifest['services'][number]> = [];
  const domains = new Set<string>();
  let overrides = TenantDomainMap.EMPTY;
  let streamPrefix = DEFAULT_STREAM_PREFIX;
  for (const [name, svc] of Object.entries(compose.services)) {
    const app = svc.build?.args?.['APP'] ?? /^mesh\/([a-z-]+):/.exec(svc.image ?? '')?.[1];
    const spec = app ? APPS[app] : undefined;
    if (!app || !spec) continue;
    const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v)]));
    const aliases = Array.isArray(svc.networks)
      ? []
      : Object.values(svc.networks ?? {}).flatMap((n) => n?.aliases ?? []);
    const port = spec.listen.parse(env[spec.listen.env] ?? spec.listen.default).port;
    const domain =
      app === 'env-runner' ? (env[SERVICE_SETTINGS['env-runner'].domain.env] ?? DEFAULT_DOMAIN) : undefined;
    if (domain) domains.add(domain);
    if (app === 'supervisor') {
      overrides = TenantDomainMap.parse(env[TENANT_DOMAIN_MAP_SETTING.env] ?? '');
      domains.add(env[SERVICE_SETTINGS.supervisor.defaultDomain.env] ?? DEFAULT_DOMAIN);
    }
    const prefix = env[SHARED_SETTINGS.streamPrefix.env];
    if (prefix) streamPrefix = prefix;
    services.push({
      name,
      host: aliases[0] ?? name,
      port,
      metricsPath: spec.metricsPath,
      ...(domain ? { domain } : {}),
    });
  }
  for (const [, domain] of overrides.entries()) domains.add(domain);
  const manifest = {
    version: 1 as const,
    streamPrefix,
    services,
    domains: [...domains].sort(),
    tenantOverrides: overrides.entries().map(([tenant, domain]) => ({ tenant, domain })),
  };
  const checked = validateManifest(manifest);
  if (!checked.ok) throw new Error(`${composePath} yields an invalid manifest: ${checked.problems.join('; ')}`);
  return checked.value;
}
