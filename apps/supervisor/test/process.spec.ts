import { describeServiceLifecycle, startServiceProcess, TEST_REDIS_URL } from '@mesh/testing';

const prefix = `test:supervisor-proc-${process.pid}`;

describeServiceLifecycle({
  app: 'supervisor',
  listenEnv: 'SUPERVISOR_METRICS_LISTEN',
  metricsPaths: ['/metrics'],
  env: () => ({ MESH_STREAM_PREFIX: prefix }),
});

describe('supervisor tenant overrides', () => {
  it('when overrides are given by env and flag, the flag wins and each is exported as supervisor_tenant_domain_override', async () => {
    const svc = await startServiceProcess(
      'supervisor',
      {
        REDIS_URL: TEST_REDIS_URL,
        SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
        MESH_STREAM_PREFIX: prefix,
        MESH_TENANT_DOMAIN_MAP: 'acme=env-domain',
      },
      {
        argv: ['--tenant-domain-map', 'acme=gpu-east,globex=cpu-west'],
      },
    );
    try {
      const text = await (await fetch(`http://127.0.0.1:${svc.port}/metrics`)).text();
      const overrides = text.split('\n').filter((l) => l.startsWith('supervisor_tenant_domain_override{'));
      expect(overrides).toEqual([
        'supervisor_tenant_domain_override{tenant="acme",domain="gpu-east"} 1',
        'supervisor_tenant_domain_override{tenant="globex",domain="cpu-west"} 1',
      ]);
    } finally {
      await svc.stop();
    }
  });
});
