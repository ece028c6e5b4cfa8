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
    this.publish();
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
    this.publish();
  }

  /** Exports the overrides, and starts the routed-assignment series of every route at 0 (so rate() sees the first). */
  private publish(): void {
    publishTenantOverrides(this.metrics, this.map);
    this.metrics.routedAssignments.zero({ domain: this.defaultDomain, route: 'default' });
    for (const [, domain] of this.map.entries()) this.metrics.routedAssignments.zero({ domain, route: 'override' });
  }

  get current(): TenantDomainMap {
    return this.map;
  }
}
