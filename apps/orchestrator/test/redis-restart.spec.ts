import { eventually, PrivateRedis, startServiceProcess, type ServiceProcess } from '@mesh/testing';

let redis: PrivateRedis;
const procs: ServiceProcess[] = [];

beforeAll(async () => {
  // Persistent (AOF), stopped with SIGTERM so it saves: the restart keeps the data.
  redis = await PrivateRedis.start(['--appendonly', 'yes']);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await redis.remove();
});

describe('a Redis restart', () => {
  it('when Redis restarts under a running mesh, every service reconnects by itself and new runs succeed', async () => {
    const env = { REDIS_URL: redis.url };
    procs.push(
      await startServiceProcess('supervisor', {
        ...env,
        SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
        SUPERVISOR_ID: 'sup',
        SUPERVISOR_BLOCK_MS: '200',
        SUPERVISOR_RUNNER_REFRESH_MS: '50',
      }),
    );
    procs.push(
      await startServiceProcess('env-runner', {
        ...env,
        RUNNER_LISTEN: '127.0.0.1:0',
        RUNNER_ID: 'runner',
        RUNNER_BLOCK_MS: '200',
        RUNNER_HEARTBEAT_MS: '200',
        RUNNER_HARDWARE_INTERVAL_MS: '0',
      }),
    );
    const orchestrator = await startServiceProcess('orchestrator', {
      ...env,
      ORCHESTRATOR_LISTEN: '127.0.0.1:0',
      ORCHESTRATOR_ID: 'orch',
    });
    procs.push(orchestrator);
    const api = `http://127.0.0.1:${orchestrator.port}`;
    const submit = async (): Promise<string> => {
      const res = await fetch(`${api}/workflow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workflow: 'wf',
          tenant: 't',
          tasks: [
            { id: 'a', kind: 'echo' },
            { id: 'b', kind: 'echo', dependsOn: ['a'] },
          ],
        }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { links: { run: string } }).links.run;
    };
    const succeeded = (link: string) =>
      eventually(
        async () =>
          ((await (await fetch(`${api}${link}`)).json()) as { status: string }).status === 'succeeded' || undefined,
      );

    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined));
    await succeeded(await submit());

    await redis.stop('SIGTERM');
    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 503 ? true : undefined));
    const down = await fetch(`${api}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'wf', tenant: 't', tasks: [{ id: 'a', kind: 'echo' }] }),
    });
    expect(down.status).toBe(503);

    await redis.start();
    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined));
    await succeeded(await submit());
    for (const p of procs) expect(p.child.exitCode).toBeNull();
  });
});
