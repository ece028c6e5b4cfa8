import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  it('when jitter draws its extremes, the delay stays within [0, min(cap, base·2^attempt))', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(1000, 10 * 2 ** attempt);
      expect(backoffDelay(attempt, 10, 1000, () => 0)).toBe(0);
      const top = backoffDelay(attempt, 10, 1000, () => 0.999999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('when attempts grow, the ceiling doubles until the cap', () => {
    const half = (attempt: number) => backoffDelay(attempt, 100, 5000, () => 0.5);
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(half)).toEqual([50, 100, 200, 400, 800, 1600, 2500, 2500]);
  });

  it('when jitter is random, delays spread over the range instead of clustering', () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(3, 10, 1000));
    expect(Math.min(...delays)).toBeLessThan(20);
    expect(Math.max(...delays)).toBeGreaterThan(60);
    expect(delays.every((d) => d >= 0 && d < 80)).toBe(true);
  });

  it('when the attempt is negative, it counts as the first', () => {
    expect(backoffDelay(-3, 100, 5000, () => 0.5)).toBe(50);
  });
});

describe('sleep', () => {
  it('when the signal aborts, the sleep ends at once', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).resolves.toBeUndefined();
  });
});
