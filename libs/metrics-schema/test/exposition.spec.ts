import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkMetrics } from '@mesh/testing';
import { METRIC_SETS } from '../src';
import { render } from './observe';

const FIXTURES = join(__dirname, 'fixtures');
const sets = Object.keys(METRIC_SETS);

describe('exposition', () => {
  it.each(sets)('when the %s set sees its known sequence, it renders exactly the golden exposition', async (set) => {
    const text = await render(set);
    const golden = join(FIXTURES, `${set}.prom`);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it.each(sets)('when the %s set is rendered, promtool check metrics finds no problem', async (set) => {
    expect(checkMetrics(await render(set))).toBe('');
  });
});
