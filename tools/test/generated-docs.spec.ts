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
    for (const set of Object.values(METRIC_SETS)) for (const def of Object.values(set)) expect(doc).toContain(`| \`${def.name}\` | ${def.type} |`);
  });
});
