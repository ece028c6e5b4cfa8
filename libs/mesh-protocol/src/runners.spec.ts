import { isLiveRunner, parseRunnerRegistry } from './runners';

describe('runner registry', () => {
  it('when the hash holds good, partial and broken entries, only those with a domain and lastSeen come back', () => {
    const regs = parseRunnerRegistry({
      a: JSON.stringify({
        runnerId: 'a',
        domain: 'gpu',
        startedAt: 1,
        lastSeen: 10,
        leaseMs: 5,
        hardware: { gpus: [] },
      }),
      b: JSON.stringify({ domain: 'cpu', lastSeen: 20 }),
      c: '{not json',
      d: JSON.stringify({ lastSeen: 5 }),
    });
    expect(regs).toEqual([
      { runnerId: 'a', domain: 'gpu', startedAt: 1, lastSeen: 10, leaseMs: 5, hardware: { gpus: [] } },
      { runnerId: 'b', domain: 'cpu', startedAt: 20, lastSeen: 20, hardware: null },
    ]);
  });

  it('when a registration is malformed (a domain no stream can be named after, null, no lastSeen), it is skipped and reported', () => {
    const malformed: Array<[string, string]> = [];
    const regs = parseRunnerRegistry(
      {
        good: JSON.stringify({ domain: 'gpu', lastSeen: 1 }),
        spaced: JSON.stringify({ domain: 'gpu east', lastSeen: 1 }),
        braces: JSON.stringify({ domain: '{x}', lastSeen: 1 }),
        nul: 'null',
        array: '[]',
        stale: JSON.stringify({ domain: 'gpu', lastSeen: 'yesterday' }),
      },
      (runnerId, problem) => malformed.push([runnerId, problem]),
    );
    expect(regs.map((r) => r.runnerId)).toEqual(['good']);
    expect(malformed.map(([id]) => id)).toEqual(['spaced', 'braces', 'nul', 'array', 'stale']);
    expect(malformed[0]?.[1]).toMatch(/^domain "gpu east" is not a name/);
  });

  it('when a lease has passed, the runner is not live; without its own lease the default applies', () => {
    const [a, b] = parseRunnerRegistry({
      a: JSON.stringify({ domain: 'gpu', lastSeen: 10, leaseMs: 5 }),
      b: JSON.stringify({ domain: 'cpu', lastSeen: 10 }),
    });
    expect([isLiveRunner(a!, 15, 100), isLiveRunner(a!, 16, 100)]).toEqual([true, false]);
    expect([isLiveRunner(b!, 110, 100), isLiveRunner(b!, 111, 100)]).toEqual([true, false]);
  });
});
