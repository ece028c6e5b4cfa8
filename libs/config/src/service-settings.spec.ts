import { loadConfig } from './load-config';
import { SERVICE_SETTINGS } from './service-settings';

// These names and ports are public: scrape jobs, dashboards, compose files and scripts point at them.
describe('SERVICE_SETTINGS', () => {
  it('when nothing is set, each service listens on its public port on every interface', () => {
    const listen = Object.fromEntries(
      Object.entries(SERVICE_SETTINGS).map(([app, s]) => [app, loadConfig({ listen: s.listen }, { env: {} }).listen]),
    );
    expect(listen).toEqual({
      supervisor: { host: undefined, port: 9098 },
      'env-runner': { host: undefined, port: 8083 },
      orchestrator: { host: undefined, port: 9097 },
    });
  });

  it("when a listen variable is set, it is read under the primer's name and wins over the default", () => {
    const names = Object.fromEntries(Object.entries(SERVICE_SETTINGS).map(([app, s]) => [app, s.listen.env]));
    expect(names).toEqual({
      supervisor: 'SUPERVISOR_METRICS_LISTEN',
      'env-runner': 'RUNNER_LISTEN',
      orchestrator: 'ORCHESTRATOR_LISTEN',
    });
    const { listen } = loadConfig(
      { listen: SERVICE_SETTINGS['env-runner'].listen },
      { env: { RUNNER_LISTEN: '127.0.0.1:8084' } },
    );
    expect(listen).toEqual({ host: '127.0.0.1', port: 8084 });
  });
});
