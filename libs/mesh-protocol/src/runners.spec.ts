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

  it('when a lease has passed, the runner is not live; without its own lease the default applies', () => {
    const [a, b] = parseRunnerRegistry({
      a: JSON.stringify({ domain: 'gpu', lastSeen: 10, leaseMs: 5 }),
      b: JSON.stringify({ domain: 'cpu', lastSeen: 10 }),
    });
    expect([isLiveRunner(a!, 15, 100), isLiveRunner(a!, 16, 100)]).toEqual([true, false]);
    expect([isLiveRunner(b!, 110, 100), isLiveRunner(b!, 111, 100)]).toEqual([true, false]);
  });
});
