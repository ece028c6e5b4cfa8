import { MetricLabelError } from '@mesh/errors';
import { Registry } from 'prom-client';
import { createSupervisorMetrics, registerMetrics, OVERFLOW_LABEL_VALUE } from '../src';

async function valueOf(registry: Registry, name: string): Promise<Array<{ labels: object; value: number }>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} not registered`);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));
}

describe('label validation', () => {
  it('when a run id (UUID) is given as a workflow, it is refused and nothing is recorded', async () => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    expect(() =>
      m.workflowEvents.inc({ workflow: 'etl-3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33', outcome: 'success' }),
    ).toThrow(MetricLabelError);
    expect(await valueOf(registry, 'supervisor_workflow_events_total')).toEqual([]);
  });

  it('when a ULID is given as a worker, it is refused', () => {
    const m = createSupervisorMetrics(new Registry());
    expect(() => m.workerTaskFailures.inc({ worker: '01HZX3Q5K8J9M2N4P6R7S8T9VW' })).toThrow(/per-run identifiers/);
  });

  it('when an enum label gets a value outside its set, it is refused naming the allowed values', () => {
    const m = createSupervisorMetrics(new Registry());
    expect(() => m.meshDispatch.inc({ status: 'bogus' as 'success' })).toThrow(
      /one of: success, retry, failure, missing/,
    );
  });

  it('when a label the metric does not declare is passed, it is refused', () => {
    const m = createSupervisorMetrics(new Registry());
    expect(() => m.meshDispatch.inc({ status: 'success', runId: 'x' } as { status: 'success' })).toThrow(
      /"runId" is not a label/,
    );
  });

  it('when a declared label is missing, it is refused', () => {
    const m = createSupervisorMetrics(new Registry());
    expect(() => m.workflowEvents.inc({ workflow: 'etl' } as never)).toThrow(/"outcome" is missing/);
  });

  it('when a name label holds spaces or control characters, it is refused', () => {
    const m = createSupervisorMetrics(new Registry());
    expect(() => m.workerTaskFailures.inc({ worker: 'runner a' })).toThrow(/malformed/);
    expect(() => m.workerTaskFailures.inc({ worker: '' })).toThrow(/malformed/);
  });

  it('when a name label reaches its cap, further values are folded into _other and reported', async () => {
    const registry = new Registry();
    const overflow: string[] = [];
    const m = registerMetrics(
      registry,
      {
        c: {
          name: 'test_capped_total',
          type: 'counter',
          help: 'a capped test counter',
          labels: { worker: { kind: 'name', maxValues: 2 } },
        },
      },
      { onLabelOverflow: (metric, label) => overflow.push(`${metric}/${label}`) },
    );
    for (const worker of ['a', 'b', 'c', 'd', 'a']) m.c.inc({ worker });
    expect(await valueOf(registry, 'test_capped_total')).toEqual([
      { labels: { worker: 'a' }, value: 2 },
      { labels: { worker: 'b' }, value: 1 },
      { labels: { worker: OVERFLOW_LABEL_VALUE }, value: 2 },
    ]);
    expect(overflow).toEqual(['test_capped_total/worker', 'test_capped_total/worker']);
  });

  it('when a gauge is reset, its series are gone', async () => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    m.tenantDomainOverride.set({ tenant: 'acme', domain: 'east' }, 1);
    m.tenantDomainOverride.reset();
    expect(await valueOf(registry, 'supervisor_tenant_domain_override')).toEqual([]);
  });
});
