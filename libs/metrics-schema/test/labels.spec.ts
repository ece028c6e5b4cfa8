import { Registry } from 'prom-client';
import {
  createEnvRunnerMetrics,
  createSupervisorMetrics,
  initialiseEnvRunnerMetrics,
  registerMetrics,
  INVALID_LABEL_VALUE,
  METRIC_SETS,
  OVERFLOW_LABEL_VALUE,
  type MetricDefinition,
} from '../src';

async function valueOf(registry: Registry, name: string): Promise<Array<{ labels: object; value: number }>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} not registered`);
  return (await metric.get()).values.map(({ labels, value }) => ({ labels, value }));
}

describe('label validation', () => {
  it('when a run id (UUID) is given as a workflow, nothing throws: it is recorded under _invalid and reported', async () => {
    const registry = new Registry();
    const invalid: string[] = [];
    const m = createSupervisorMetrics(registry, {
      onLabelInvalid: (metric, label, reason) => invalid.push(`${metric}/${label}: ${reason}`),
    });
    m.workflowEvents.inc({ workflow: 'etl-3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33', outcome: 'success' });
    m.workflowEvents.inc({ workflow: 'etl-0b6d1b1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b', outcome: 'success' });
    expect(await valueOf(registry, 'supervisor_workflow_events_total')).toEqual([
      { labels: { workflow: INVALID_LABEL_VALUE, outcome: 'success' }, value: 2 },
    ]);
    expect(invalid).toEqual([
      'supervisor_workflow_events_total/workflow: looks like a per-run identifier (a UUID or ULID)',
    ]);
  });

  it('when a ULID is given as a worker, it is recorded under _invalid', async () => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    m.workerTaskFailures.inc({ worker: '01HZX3Q5K8J9M2N4P6R7S8T9VW' });
    expect(await valueOf(registry, 'supervisor_worker_task_failures_total')).toEqual([
      { labels: { worker: INVALID_LABEL_VALUE }, value: 1 },
    ]);
  });

  it('when an enum label gets a value outside its set, it is recorded under _invalid naming the allowed values', async () => {
    const registry = new Registry();
    const invalid: string[] = [];
    const m = createSupervisorMetrics(registry, { onLabelInvalid: (_m, _l, reason) => invalid.push(reason) });
    m.meshDispatch.inc({ status: 'bogus' as 'success' });
    expect(await valueOf(registry, 'supervisor_mesh_dispatch_total')).toContainEqual({
      labels: { status: INVALID_LABEL_VALUE },
      value: 1,
    });
    expect(invalid).toEqual(['is not one of: success, retry, failure, missing']);
  });

  it('when a label the metric does not declare is passed, it is dropped and reported', async () => {
    const registry = new Registry();
    const invalid: string[] = [];
    const m = createSupervisorMetrics(registry, {
      onLabelInvalid: (metric, label, reason) => invalid.push(`${metric}/${label}: ${reason}`),
    });
    m.meshDispatch.inc({ status: 'success', runId: 'x' } as { status: 'success' });
    expect(await valueOf(registry, 'supervisor_mesh_dispatch_total')).toContainEqual({
      labels: { status: 'success' },
      value: 1,
    });
    expect(invalid).toEqual(['supervisor_mesh_dispatch_total/runId: is not a label of this metric']);
  });

  it('when a declared label is missing or not a string, it is recorded under _invalid', async () => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    m.workflowEvents.inc({ workflow: 'etl' } as never);
    m.workerTaskFailures.inc({ worker: 42 as unknown as string });
    expect(await valueOf(registry, 'supervisor_workflow_events_total')).toEqual([
      { labels: { workflow: 'etl', outcome: INVALID_LABEL_VALUE }, value: 1 },
    ]);
    expect(await valueOf(registry, 'supervisor_worker_task_failures_total')).toEqual([
      { labels: { worker: INVALID_LABEL_VALUE }, value: 1 },
    ]);
  });

  it.each([
    ['spaces', 'runner a'],
    ['nothing', ''],
    ['control characters', 'a\u0000b'],
    ['a megabyte', 'x'.repeat(1024 * 1024)],
    ['invalid UTF-8 replaced', 'kind-\ufffd'],
    ['a UUID', '3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33'],
  ])('when a name label holds %s, it is recorded under _invalid and never throws', async (_what, value) => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    expect(() => m.workerTaskFailures.inc({ worker: value })).not.toThrow();
    expect(await valueOf(registry, 'supervisor_worker_task_failures_total')).toEqual([
      { labels: { worker: INVALID_LABEL_VALUE }, value: 1 },
    ]);
  });

  it('when thousands of distinct hostile values arrive, the label holds at most its cap plus _other and _invalid, and each problem is reported once', async () => {
    const registry = new Registry();
    const reports: string[] = [];
    const m = registerMetrics(
      registry,
      {
        c: {
          name: 'test_hostile_total',
          type: 'counter',
          help: 'a capped test counter',
          labels: { kind: { kind: 'name', maxValues: 3 } },
        },
      },
      {
        onLabelOverflow: (metric, label) => reports.push(`overflow ${metric}/${label}`),
        onLabelInvalid: (metric, label) => reports.push(`invalid ${metric}/${label}`),
      },
    );
    for (let i = 0; i < 5000; i++) {
      m.c.inc({ kind: `kind-${i}` });
      m.c.inc({ kind: `${i.toString(16).padStart(8, '0')}-8a4d-4c1e-9b7a-2d6f0e5a1c33` });
    }
    const series = await valueOf(registry, 'test_hostile_total');
    expect(series.map((s) => (s.labels as { kind: string }).kind).sort()).toEqual([
      INVALID_LABEL_VALUE,
      OVERFLOW_LABEL_VALUE,
      'kind-0',
      'kind-1',
      'kind-2',
    ]);
    expect(series.reduce((sum, s) => sum + s.value, 0)).toBe(10_000);
    expect(reports.sort()).toEqual(['invalid test_hostile_total/kind', 'overflow test_hostile_total/kind']);
  });

  it('when a caller passes _other or _invalid itself, the value is kept and takes no place under the cap', async () => {
    const registry = new Registry();
    const m = registerMetrics(registry, {
      c: {
        name: 'test_folded_total',
        type: 'counter',
        help: 'a capped test counter',
        labels: { kind: { kind: 'name', maxValues: 1 } },
      },
    });
    m.c.inc({ kind: OVERFLOW_LABEL_VALUE });
    m.c.inc({ kind: INVALID_LABEL_VALUE });
    m.c.inc({ kind: 'echo' });
    expect(await valueOf(registry, 'test_folded_total')).toEqual([
      { labels: { kind: OVERFLOW_LABEL_VALUE }, value: 1 },
      { labels: { kind: INVALID_LABEL_VALUE }, value: 1 },
      { labels: { kind: 'echo' }, value: 1 },
    ]);
  });

  it('when a name label reaches its cap, further values are folded into _other and reported once', async () => {
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
    expect(overflow).toEqual(['test_capped_total/worker']);
  });

  it('when a gauge is reset, its series are gone', async () => {
    const registry = new Registry();
    const m = createSupervisorMetrics(registry);
    m.tenantDomainOverride.set({ tenant: 'acme', domain: 'east' }, 1);
    m.tenantDomainOverride.reset();
    expect(await valueOf(registry, 'supervisor_tenant_domain_override')).toEqual([]);
  });
});

describe('label initialisation', () => {
  it('when a set is registered, every series of a counter whose labels are all closed sets is there at 0', async () => {
    const registry = new Registry();
    createSupervisorMetrics(registry);
    expect(await valueOf(registry, 'supervisor_mesh_dispatch_total')).toEqual(
      ['success', 'retry', 'failure', 'missing'].map((status) => ({ labels: { status }, value: 0 })),
    );
    expect(await valueOf(registry, 'supervisor_dead_letters_total')).toHaveLength(4 * 5);
    expect(await valueOf(registry, 'supervisor_worker_task_failures_total')).toEqual([]);
  });

  it('when the env runner metrics are initialised with its kinds, each kind and _other has its outcome series at 0', async () => {
    const registry = new Registry();
    const m = createEnvRunnerMetrics(registry);
    initialiseEnvRunnerMetrics(m, { kinds: ['echo', 'sleep'] });
    expect(await valueOf(registry, 'env_runner_assignments_processed_total')).toEqual([
      { labels: { kind: 'echo' }, value: 0 },
      { labels: { kind: 'sleep' }, value: 0 },
      { labels: { kind: OVERFLOW_LABEL_VALUE }, value: 0 },
    ]);
    const failed = await valueOf(registry, 'env_runner_assignments_failed_total');
    expect(failed).toHaveLength(3 * 6);
    expect(failed).toContainEqual({ labels: { kind: 'echo', reason: 'cancelled' }, value: 0 });
    expect(failed).toContainEqual({ labels: { kind: OVERFLOW_LABEL_VALUE, reason: 'unknown_kind' }, value: 0 });
    expect(failed).toContainEqual({ labels: { kind: 'sleep', reason: 'timeout' }, value: 0 });
    expect(await valueOf(registry, 'env_runner_dead_letters_total')).toContainEqual({
      labels: { reason: 'invalid_message' },
      value: 0,
    });
  });
});

describe('every metric against hostile label values', () => {
  const HOSTILE: unknown[] = [
    '3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33',
    '01HZX3Q5K8J9M2N4P6R7S8T9VW',
    '',
    ' ',
    'a'.repeat(129),
    'x'.repeat(1024 * 1024),
    'kind\u0000',
    '\ufffd\ufffd',
    '{"json":true}',
    '__proto__',
    'constructor',
    undefined,
    null,
    42,
    { toString: () => 'x' },
  ];

  it.each(Object.entries(METRIC_SETS).flatMap(([set, defs]) => Object.keys(defs).map((key) => [set, key] as const)))(
    'when %s %s gets hostile values in every label, nothing throws and every value recorded is bounded',
    async (set, key) => {
      const registry = new Registry();
      const defs = METRIC_SETS[set as keyof typeof METRIC_SETS] as Record<string, MetricDefinition>;
      // Handles called untyped, as a caller holding message content might.
      const metrics = registerMetrics(registry, defs) as unknown as Record<
        string,
        Record<string, (...a: unknown[]) => void>
      >;
      const def = defs[key];
      const handle = metrics[key] as Record<string, (...a: unknown[]) => void>;
      const labels = Object.keys(def?.labels ?? {});
      if (labels.length === 0) return;
      const record = (l: unknown): void => {
        if (handle['inc']) handle['inc'](l, 1);
        else if (handle['observe']) handle['observe'](l, 0.5);
      };
      for (const value of HOSTILE) {
        expect(() => record(Object.fromEntries(labels.map((l) => [l, value])))).not.toThrow();
        expect(() => record({ ...Object.fromEntries(labels.map((l) => [l, value])), extra: value })).not.toThrow();
      }
      expect(() => record(undefined)).not.toThrow();
      expect(() => record('not an object')).not.toThrow();
      const series = (await registry.getSingleMetric(def?.name ?? '')?.get())?.values ?? [];
      for (const { labels: recorded } of series) {
        expect(Object.keys(recorded).filter((l) => l !== 'le')).toEqual(expect.arrayContaining(labels));
        for (const l of labels) {
          const v = (recorded as Record<string, unknown>)[l];
          const spec = def?.labels[l];
          if (spec?.kind === 'enum') expect([...spec.values, INVALID_LABEL_VALUE]).toContain(v);
          else {
            // Well-formed, short, printable, never an id: either kept as given or one of the two buckets.
            expect(typeof v).toBe('string');
            expect((v as string).length).toBeLessThanOrEqual(128);
            expect(v).not.toMatch(/[\u0000-\u001f]|[0-9a-f]{8}-[0-9a-f]{4}|01HZX3Q5/);
          }
        }
      }
    },
  );
});
