import { Writable } from 'node:stream';
import request from 'supertest';
import { Registry } from 'prom-client';
import { TenantDomainMap } from '@mesh/config';
import { createLogger } from '@mesh/logging';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { createApp } from './app';
import { publishTenantOverrides } from './routing/tenant-overrides';

const logger = createLogger({ service: 'supervisor', destination: new Writable({ write: (_c, _e, done) => done() }) });

describe('supervisor app', () => {
  it('when /metrics is scraped, it serves the primer metrics and the tenant overrides in force', async () => {
    const registry = new Registry();
    const metrics = createSupervisorMetrics(registry);
    publishTenantOverrides(metrics, TenantDomainMap.parse('acme=gpu-east'));
    publishTenantOverrides(metrics, TenantDomainMap.parse('globex=cpu-west'));
    metrics.meshDispatch.inc({ status: 'success' });
    const res = await request(createApp({ registry, logger, redisReady: async () => true })).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(res.text).toContain('supervisor_mesh_dispatch_total{status="success"} 1');
    expect(res.text).toContain('supervisor_tenant_domain_override{tenant="globex",domain="cpu-west"} 1');
    expect(res.text).not.toContain('tenant="acme"');
  });

  it('when Redis is not ready, /readyz is 503 and /healthz stays 200', async () => {
    const app = createApp({ registry: new Registry(), logger, redisReady: async () => false });
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('when the supervisor stops making progress though Redis answers, /readyz is 503 and names it', async () => {
    let progressing = false;
    const app = createApp({
      registry: new Registry(),
      logger,
      redisReady: async () => true,
      progressing: () => progressing,
    });
    const stalled = await request(app).get('/readyz');
    expect([stalled.status, stalled.body.checks]).toEqual([503, { redis: 'ok', progress: 'failing' }]);
    progressing = true;
    expect((await request(app).get('/readyz')).status).toBe(200);
  });
});
