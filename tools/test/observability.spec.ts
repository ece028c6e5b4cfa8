import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { dashboardExpressions, renderDashboard } from '../dashboard';
import { undefinedMetrics } from '../metric-names';

const ROOT = join(__dirname, '..', '..');
const PROM = join(ROOT, 'docker', 'prometheus');
const DASHBOARD = join(ROOT, 'docs', 'dashboards', 'mesh_supervisor_dashboard.json');

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: PROM, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is required (Debian package "prometheus"): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('dashboard', () => {
  it('when docs/dashboards/mesh_supervisor_dashboard.json is read, it equals what the generator makes from the schema (run `npm run generate`)', () => {
    expect(readFileSync(DASHBOARD, 'utf8')).toBe(renderDashboard());
  });

  it('when its expressions are read, every metric they name is defined in libs/metrics-schema', () => {
    const exprs = dashboardExpressions(readFileSync(DASHBOARD, 'utf8'));
    expect(exprs.length).toBeGreaterThanOrEqual(12);
    expect(exprs.flatMap(undefinedMetrics)).toEqual([]);
  });

  it('when the checker sees a metric the schema does not define, it names it', () => {
    expect(
      undefinedMetrics(
        'sum(rate(supervisor_mesh_dispatch_totl[5m])) + rate(env_runner_assignment_latency_seconds_bucket[1m])',
      ),
    ).toEqual(['supervisor_mesh_dispatch_totl']);
  });

  it("when the panels are listed, the primer's three starter panels come first, then the rest the operators need", () => {
    const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      panels: Array<{ title: string; type: string; targets: Array<{ expr: string }> }>;
    };
    const [ratio, retries, latency] = d.panels;
    expect([ratio?.type, ratio?.title]).toEqual(['stat', 'Dispatch success ratio']);
    expect(ratio?.targets[0]?.expr.replace(/\s+/g, ' ')).toBe(
      'sum(rate(supervisor_mesh_dispatch_total{status="success"}[5m])) / sum(rate(supervisor_mesh_dispatch_total[5m]))',
    );
    expect([retries?.type, retries?.targets[0]?.expr]).toEqual([
      'timeseries',
      'sum(rate(supervisor_mesh_dispatch_total{status="retry"}[5m]))',
    ]);
    expect(latency?.type).toBe('table');
    expect(latency?.targets[0]?.expr).toContain('supervisor_worker_latency_seconds_total');
    const all = d.panels.map((p) => p.targets.map((t) => t.expr).join(' ')).join('\n');
    for (const metric of [
      'supervisor_workflow_events_total',
      'supervisor_workflow_latency_seconds_total',
      'supervisor_pending_queue_depth',
      'supervisor_mesh_queue_depth',
      'supervisor_runners_online',
      'status="missing"',
      'env_runner_assignments_processed_total',
      'env_runner_assignments_failed_total',
      'env_runner_gpu_info',
    ]) {
      expect(all).toContain(metric);
    }
  });
});

describe('prometheus', () => {
  it('when the scrape config is checked, promtool accepts it and its rule files', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toMatchObject({ status: 0 });
  });

  it("when the scrape config is read, it has the primer's mesh-supervisor job unchanged and jobs for the runner (/prometheus) and the orchestrator", () => {
    const config = parse(readFileSync(join(PROM, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<Record<string, unknown>>;
    };
    const job = (name: string) => config.scrape_configs.find((j) => j['job_name'] === name);
    expect(job('mesh-supervisor')).toEqual({
      job_name: 'mesh-supervisor',
      static_configs: [{ targets: ['stream-supervisor:9098'] }],
    });
    expect(job('mesh-env-runner')).toMatchObject({
      metrics_path: '/prometheus',
      dns_sd_configs: [{ names: ['rust-env-runner'], port: 8083 }],
    });
    expect(job('mesh-orchestrator')).toMatchObject({ static_configs: [{ targets: ['go-orchestrator:9097'] }] });
  });

  it("when the alert rules are checked, promtool accepts them and every alert's unit tests pass", () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatchObject({ status: 0 });
    const tested = promtool('test', 'rules', 'alerts.test.yml');
    expect(tested.output).toContain('SUCCESS');
    expect(tested.status).toBe(0);
  });

  it('when the alerts are listed, each has a firing and a silent test case, and names only defined metrics', () => {
    const rules = parse(readFileSync(join(PROM, 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const tests = parse(readFileSync(join(PROM, 'alerts.test.yml'), 'utf8')) as {
      tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
    };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'MeshDispatchSuccessRatioLow',
      'MeshDomainWithoutRunners',
      'MeshMissingDispatchesRising',
      'MeshPendingQueueGrowing',
      'MeshTaskFailureRateHigh',
    ]);
    for (const a of alerts) {
      expect({
        alert: a.alert,
        fires: cases.some((c) => c.alertname === a.alert && c.exp_alerts.length > 0),
        silent: cases.some((c) => c.alertname === a.alert && c.exp_alerts.length === 0),
      }).toEqual({ alert: a.alert, fires: true, silent: true });
      expect(undefinedMetrics(a.expr)).toEqual([]);
    }
  });
});
