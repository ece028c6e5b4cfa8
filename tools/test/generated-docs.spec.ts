import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_SETS } from '@mesh/metrics-schema';
import { renderMetricsDoc } from '../metrics-doc';

const ROOT = join(__dirname, '..', '..');

describe('generated docs', () => {
  it('when docs/metrics.md is read, it equals what the metrics schema generates (run `npm run generate` after a change)', () => {
    expect(readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8')).toBe(renderMetricsDoc());
  });

  it('when the metrics doc is rendered, every metric of every set has a row', () => {
    const doc = renderMetricsDoc();
    for (const set of Object.values(METRIC_SETS))
      for (const def of Object.values(set)) expect(doc).toContain(`| \`${def.name}\` | ${def.type} |`);
  });
});

describe("operators' guide", () => {
  const guide = readFileSync(join(ROOT, 'docs', 'operators-guide.md'), 'utf8');

  it('when read, it names every supervisor metric, every endpoint of every service and every alert', () => {
    const supervisorMetrics = Object.values(METRIC_SETS.supervisor).map((d) => d.name);
    const endpoints = [
      '/metrics',
      '/prometheus',
      '/hardware',
      '/healthz',
      '/readyz',
      'POST /workflow',
      'GET /workflows/{id}/runs',
      'GET /workflows/{id}/runs/{runId}',
    ];
    const alerts = [
      'MeshDispatchSuccessRatioLow',
      'MeshDomainWithoutRunners',
      'MeshMissingDispatchesRising',
      'MeshPendingQueueGrowing',
      'MeshTaskFailureRateHigh',
    ];
    const missing = [
      ...supervisorMetrics,
      ...endpoints,
      ...alerts,
      'MESH_TENANT_DOMAIN_MAP',
      '--tenant-domain-map',
      'stream-supervisor:9098',
    ].filter((s) => !guide.includes(s));
    expect(missing).toEqual([]);
  });
});
