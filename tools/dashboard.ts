/**
 * The Grafana dashboard docs/dashboards/mesh_supervisor_dashboard.json, generated from the metric
 * schema's names: the primer's three starter panels first, then workflows, queues, runners and
 * hardware. Importable as is (it asks for a Prometheus data source) and provisioned by docker/.
 */
import {
  ENV_RUNNER_HARDWARE_METRICS as HW,
  ENV_RUNNER_METRICS as RUNNER,
  SUPERVISOR_METRICS as SUP,
} from '@mesh/metrics-schema';

const DS = { type: 'prometheus', uid: '${datasource}' };

interface Target {
  expr: string;
  legendFormat?: string;
  format?: 'time_series' | 'table';
  instant?: boolean;
}

let nextId = 1;
function panel(
  type: string,
  title: string,
  grid: { x: number; y: number; w: number; h: number },
  targets: Target[],
  extra: Record<string, unknown> = {},
) {
  return {
    id: nextId++,
    type,
    title,
    datasource: DS,
    gridPos: grid,
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, ...t })),
    ...extra,
  };
}

const n = (m: { name: string }): string => m.name;

export function renderDashboard(): string {
  nextId = 1;
  const dispatch = n(SUP.meshDispatch);
  const panels = [
    panel(
      'stat',
      'Dispatch success ratio',
      { x: 0, y: 0, w: 6, h: 6 },
      [{ expr: `sum(rate(${dispatch}{status="success"}[5m]))\n/\nsum(rate(${dispatch}[5m]))` }],
      {
        fieldConfig: {
          defaults: {
            unit: 'percentunit',
            min: 0,
            max: 1,
            thresholds: {
              mode: 'absolute',
              steps: [
                { color: 'red', value: null },
                { color: 'orange', value: 0.9 },
                { color: 'green', value: 0.99 },
              ],
            },
          },
          overrides: [],
        },
      },
    ),
    panel('timeseries', 'Mesh publish retries', { x: 6, y: 0, w: 9, h: 6 }, [
      { expr: `sum(rate(${dispatch}{status="retry"}[5m]))`, legendFormat: 'retries/s' },
    ]),
    panel(
      'table',
      'Worker latency',
      { x: 15, y: 0, w: 9, h: 6 },
      [
        {
          expr: `sum by (worker) (rate(${n(SUP.workerLatencySeconds)}[5m])) / sum by (worker) (rate(${n(SUP.workerLatencySamples)}[5m]))`,
          format: 'table',
          instant: true,
        },
      ],
      { fieldConfig: { defaults: { unit: 's' }, overrides: [] } },
    ),
    panel(
      'timeseries',
      'Workflow success ratio',
      { x: 0, y: 6, w: 12, h: 7 },
      [
        {
          expr: `sum by (workflow) (rate(${n(SUP.workflowEvents)}{outcome="success"}[5m])) / sum by (workflow) (rate(${n(SUP.workflowEvents)}[5m]))`,
          legendFormat: '{{workflow}}',
        },
      ],
      { fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1 }, overrides: [] } },
    ),
    panel(
      'timeseries',
      'Workflow latency (average)',
      { x: 12, y: 6, w: 12, h: 7 },
      [
        {
          expr: `sum by (workflow) (rate(${n(SUP.workflowLatencySeconds)}[5m])) / sum by (workflow) (rate(${n(SUP.workflowLatencySamples)}[5m]))`,
          legendFormat: '{{workflow}}',
        },
      ],
      { fieldConfig: { defaults: { unit: 's' }, overrides: [] } },
    ),
    panel('timeseries', 'Queue depths', { x: 0, y: 13, w: 8, h: 7 }, [
      { expr: `max(${n(SUP.pendingQueueDepth)})`, legendFormat: 'pending (ready, not yet publishing)' },
      { expr: `sum(${n(SUP.meshQueueDepth)})`, legendFormat: 'publish pool' },
    ]),
    panel('timeseries', 'Runners online per domain', { x: 8, y: 13, w: 8, h: 7 }, [
      { expr: `max by (domain) (${n(SUP.runnersOnline)})`, legendFormat: '{{domain}}' },
    ]),
    panel('timeseries', 'Missing dispatches (no live runner)', { x: 16, y: 13, w: 8, h: 7 }, [
      { expr: `sum(rate(${dispatch}{status="missing"}[5m]))`, legendFormat: 'missing/s' },
    ]),
    panel('timeseries', 'Runner assignments processed / failed', { x: 0, y: 20, w: 12, h: 7 }, [
      { expr: `sum by (kind) (rate(${n(RUNNER.assignmentsProcessed)}[5m]))`, legendFormat: 'processed {{kind}}' },
      {
        expr: `sum by (kind, reason) (rate(${n(RUNNER.assignmentsFailed)}[5m]))`,
        legendFormat: 'failed {{kind}} ({{reason}})',
      },
    ]),
    panel(
      'timeseries',
      'Runner assignment latency p95',
      { x: 12, y: 20, w: 12, h: 7 },
      [
        {
          expr: `histogram_quantile(0.95, sum by (le, kind) (rate(${n(RUNNER.assignmentLatency)}_bucket[5m])))`,
          legendFormat: '{{kind}}',
        },
      ],
      { fieldConfig: { defaults: { unit: 's' }, overrides: [] } },
    ),
    panel(
      'table',
      'Runner hardware (GPUs)',
      { x: 0, y: 27, w: 24, h: 8 },
      [
        { expr: `max by (instance, index, vendor, model, driver) (${n(HW.gpuInfo)})`, format: 'table', instant: true },
        { expr: `max by (instance, index) (${n(HW.gpuMemoryTotalBytes)})`, format: 'table', instant: true },
      ],
      { transformations: [{ id: 'merge', options: {} }] },
    ),
  ];
  const dashboard = {
    title: 'Mesh supervisor',
    uid: 'mesh-supervisor',
    description:
      'Dispatch, routing, workflows and runners of the Mesh. Generated from libs/metrics-schema by `npm run generate`.',
    tags: ['mesh'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
      ],
    },
    annotations: { list: [] },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every PromQL expression in a dashboard. */
export function dashboardExpressions(json: string): string[] {
  const d = JSON.parse(json) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}
