import { describeServiceLifecycle, runServiceToExit, TEST_REDIS_URL } from '@mesh/testing';

describeServiceLifecycle({
  app: 'env-runner',
  listenEnv: 'RUNNER_LISTEN',
  metricsPaths: ['/prometheus', '/metrics'],
  env: () => ({ MESH_STREAM_PREFIX: `test:env-runner-proc-${process.pid}`, RUNNER_ID: 'runner-proc-test' }),
});

describe('env-runner settings', () => {
  it('when MESH_DOMAIN is not a name, start-up stops naming it', async () => {
    const result = await runServiceToExit('env-runner', { REDIS_URL: TEST_REDIS_URL, RUNNER_LISTEN: '127.0.0.1:0', MESH_DOMAIN: 'gpu:east' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MESH_DOMAIN: "gpu:east" is not a name');
  });
});
