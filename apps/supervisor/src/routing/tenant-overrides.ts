import type { TenantDomainMap } from '@mesh/config';
import type { SupervisorMetrics } from '@mesh/metrics-schema';

/** Exports the overrides in force as `supervisor_tenant_domain_override{tenant,domain} 1`, replacing any earlier set. */
export function publishTenantOverrides(metrics: SupervisorMetrics, map: TenantDomainMap): void {
  metrics.tenantDomainOverride.reset();
  for (const [tenant, domain] of map.entries()) metrics.tenantDomainOverride.set({ tenant, domain }, 1);
}
