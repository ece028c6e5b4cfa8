import type { TenantDomainMap } from '@mesh/config';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { publishTenantOverrides } from './tenant-overrides';

export interface Route {
  readonly domain: string;
  readonly route: 'override' | 'default';
}

/** Picks each run's domain: the tenant's override, else the default domain. The map can be replaced live. */
export class TenantRouter {
  private map: TenantDomainMap;

  constructor(
    map: TenantDomainMap,
    private readonly defaultDomain: string,
    private readonly metrics: SupervisorMetrics,
  ) {
    this.map = map;
    publishTenantOverrides(metrics, map);
  }

  route(tenant: string): Route {
    const pinned = this.map.domainFor(tenant);
    return pinned === undefined
      ? { domain: this.defaultDomain, route: 'default' }
      : { domain: pinned, route: 'override' };
  }

  /** Replaces the overrides (new runs route by the new map) and re-exports them. */
  replace(map: TenantDomainMap): void {
    this.map = map;
    publishTenantOverrides(this.metrics, map);
  }

  get current(): TenantDomainMap {
    return this.map;
  }
}
