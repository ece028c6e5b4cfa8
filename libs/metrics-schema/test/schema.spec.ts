import { Registry, register } from 'prom-client';
import { METRIC_SETS, SUPERVISOR_METRICS, registerMetrics, type MetricDefinition } from '../src';

/** The primer's nine supervisor metrics: public names, types and labels that dashboards already query. */
const PRIMER = [
  ['supervisor_mesh_dispatch_total', 'counter', ['status']],
  ['supervisor_worker_latency_seconds_total', 'counter', ['worker']],
  ['supervisor_worker_latency_samples_total', 'counter', ['worker']],
  ['supervisor_worker_task_failures_total', 'counter', ['worker']],
  ['supervisor_pending_queue_depth', 'gauge', []],
  ['supervisor_mesh_queue_depth', 'gauge', []],
  ['supervisor_workflow_events_total', 'counter', ['workflow', 'outcome']],
  ['supervisor_workflow_latency_seconds_total', 'counter', ['workflow']],
  ['supervisor_workflow_latency_samples_total', 'counter', ['workflow']],
] as const;

const all: MetricDefinition[] = Object.values(METRIC_SETS).flatMap((set) => Object.values(set));

describe('metric schema', () => {
  it.each(PRIMER)(
    'when the supervisor set is read, the primer metric %s is there as a %s with labels %j',
    (name, type, labels) => {
      const def = Object.values(SUPERVISOR_METRICS).find((d) => d.name === name);
      expect(def).toBeDefined();
      expect(def?.type).toBe(type);
      expect(Object.keys(def?.labels ?? {})).toEqual(labels);
    },
  );

  it('when the dispatch status label is read, it holds exactly the four primer statuses', () => {
    expect(SUPERVISOR_METRICS.meshDispatch.labels.status.values).toEqual(['success', 'retry', 'failure', 'missing']);
  });

  it('when all sets are registered on one registry, no metric name is defined twice', () => {
    const names = all.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(all.map((d) => [d.name, d] as const))(
    'when %s is read, its name follows Prometheus conventions',
    (name, def) => {
      expect(name).toMatch(/^(supervisor|env_runner|orchestrator)_[a-z0-9_]+$/);
      if (def.type === 'counter') expect(name).toMatch(/_total$/);
      if (def.type === 'histogram') expect(name).toMatch(/_seconds$|_bytes$/);
      for (const label of Object.keys(def.labels))
        expect(label).not.toMatch(/(^|_)(run|assignment|request|trace)(_?id)?$|^id$|Id$/);
      expect(def.help.length).toBeGreaterThan(10);
    },
  );

  it('when every set is registered on a fresh registry, the global registry stays empty', async () => {
    const before = (await register.getMetricsAsJSON()).length;
    const registry = new Registry();
    for (const set of Object.values(METRIC_SETS)) registerMetrics(registry, set);
    expect((await registry.getMetricsAsJSON()).length).toBe(all.length);
    expect((await register.getMetricsAsJSON()).length).toBe(before);
  });
});
