import { percentile, rate, summarize } from './stats';

describe('summarize', () => {
  it('when given 200 samples 1..200, p50/p95/p99 are the nearest-rank values 100/190/198', () => {
    const samples = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(summarize(samples)).toMatchObject({ runs: 200, p50: 100, p95: 190, p99: 198, min: 1, max: 200 });
  });

  it('when there is one sample, every percentile is that sample', () => {
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([7], 0.99)).toBe(7);
  });

  it('when there are no samples, the percentiles are NaN', () => {
    expect(summarize([]).p50).toBeNaN();
  });
});

describe('rate', () => {
  it('when 10,000 tasks take 2,000 ms, the rate is 5,000 tasks/s', () => {
    expect(rate(10_000, 2000)).toBe(5000);
  });
});
