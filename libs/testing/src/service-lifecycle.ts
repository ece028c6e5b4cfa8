import { startServiceProcess, runServiceToExit } from './service-process';
import { eventually, TEST_REDIS_URL } from './redis-context';
import { checkMetrics } from './promtool';

export interface LifecycleSpec {
  /** The app name under dist/apps/. */
  readonly app: string;
  /** The env var of its listen address. */
  readonly listenEnv: string;
  /** Its metrics paths, each checked with promtool. */
  readonly metricsPaths: readonly string[];
  /** Env for every start (e.g. a test stream prefix). */
  readonly env: () => Record<string, string>;
}

/**
 * The behaviour every Mesh service shares as a built process: it starts and serves /healthz and
 * /readyz, its metrics pass promtool, SIGTERM stops it with exit 0, a bad setting stops start-up
 * with one line naming it, and a Redis password never reaches its output.
 */
export function describeServiceLifecycle(spec: LifecycleSpec): void {
  const base = (): Record<string, string> => ({
    REDIS_URL: TEST_REDIS_URL,
    [spec.listenEnv]: '127.0.0.1:0',
    ...spec.env(),
  });

  describe(`${spec.app} as a process`, () => {
    it('when started, it serves /healthz and /readyz, lint-clean metrics, and exits 0 on SIGTERM', async () => {
      const svc = await startServiceProcess(spec.app, base());
      try {
        const url = `http://127.0.0.1:${svc.port}`;
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        // Ready once its Redis connection is up.
        await eventually(async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined));
        for (const path of spec.metricsPaths) {
          const res = await fetch(`${url}${path}`);
          expect(res.headers.get('content-type')).toContain('text/plain');
          expect(checkMetrics(await res.text())).toBe('');
        }
      } finally {
        expect(await svc.stop('SIGTERM')).toBe(0);
      }
      expect(svc.records.map((r) => r['msg'])).toEqual(
        expect.arrayContaining(['listening', 'shutting down', 'stopped']),
      );
      expect(svc.records.every((r) => r['service'] === spec.app)).toBe(true);
    });

    it('when a setting is invalid, start-up stops with exit 2 and one line naming the variable', async () => {
      const result = await runServiceToExit(spec.app, {
        ...base(),
        [spec.listenEnv]: 'not-an-address',
        LOG_LEVEL: 'chatty',
      });
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${spec.listenEnv}: "not-an-address" is not host:port or :port`);
      expect(lines[0]).toContain('LOG_LEVEL: "chatty"');
    });

    it('when Redis is unreachable with a password in its URL, the service is alive but not ready and the password is never printed', async () => {
      const svc = await startServiceProcess(spec.app, {
        ...base(),
        REDIS_URL: 'redis://default:pw-should-not-leak@127.0.0.1:1',
      });
      try {
        const url = `http://127.0.0.1:${svc.port}`;
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        expect((await fetch(`${url}/readyz`)).status).toBe(503);
      } finally {
        await svc.stop('SIGTERM');
      }
      const output = JSON.stringify(svc.records) + svc.stderr();
      expect(output).toContain('redis unavailable');
      expect(output).not.toContain('pw-should-not-leak');
    });
  });
}
