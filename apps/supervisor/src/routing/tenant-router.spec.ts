import { Registry } from 'prom-client';
import { TenantDomainMap } from '@mesh/config';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { TenantRouter } from './tenant-router';

describe('tenant router', () => {
  it('when it starts or its map is replaced, every route it can take is exported at 0 before its first assignment', async () => {
    const registry = new Registry();
    const router = new TenantRouter(
      TenantDomainMap.parse('acme=gpu-east'),
      'default',
      createSupervisorMetrics(registry),
    );
    const routed = async (): Promise<string[]> =>
      (await registry.metrics()).split('\n').filter((l) => l.startsWith('supervisor_routed_assignments_total{'));
    expect(await routed()).toEqual([
      'supervisor_routed_assignments_total{domain="default",route="default"} 0',
      'supervisor_routed_assignments_total{domain="gpu-east",route="override"} 0',
    ]);
    router.replace(TenantDomainMap.parse('acme=cpu-west'));
    expect(await routed()).toContain('supervisor_routed_assignments_total{domain="cpu-west",route="override"} 0');
  });
});
