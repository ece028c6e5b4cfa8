import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { TenantDomainMap, parseListenAddress } from '@mesh/config';
import { DEFAULT_STREAM_PREFIX, validateManifest, type MeshManifest } from '@mesh/mesh-protocol';

/** Where each app serves the metrics Prometheus scrapes, and which variable holds its listen address. */
const APPS: Record<string, { metricsPath: string; listenEnv: string; defaultListen: string }> = {
  supervisor: { metricsPath: '/metrics', listenEnv: 'SUPERVISOR_METRICS_LISTEN', defaultListen: ':9098' },
  'env-runner': { metricsPath: '/prometheus', listenEnv: 'RUNNER_LISTEN', defaultListen: ':8083' },
  orchestrator: { metricsPath: '/metrics', listenEnv: 'ORCHESTRATOR_LISTEN', defaultListen: ':9097' },
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
    const port = parseListenAddress(env[spec.listenEnv] ?? spec.defaultListen).port;
    const domain = app === 'env-runner' ? (env['MESH_DOMAIN'] ?? 'default') : undefined;
    if (domain) domains.add(domain);
    if (app === 'supervisor') {
      overrides = TenantDomainMap.parse(env['MESH_TENANT_DOMAIN_MAP'] ?? '');
      domains.add(env['MESH_DEFAULT_DOMAIN'] ?? 'default');
    }
    if (env['MESH_STREAM_PREFIX']) streamPrefix = env['MESH_STREAM_PREFIX'];
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
