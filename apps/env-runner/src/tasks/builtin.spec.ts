import type { Assignment } from '@mesh/mesh-protocol';
import { echoHandler, failHandler, sleepHandler } from './builtin';
import { TaskFailure } from './handler';

const ctx = (attempt = 1) => ({
  signal: new AbortController().signal,
  assignment: { attempt } as Assignment,
  timeoutMs: 5000,
});

describe('built-in task kinds', () => {
  it('when a fail task has no attempts, every attempt fails with its message (or "task failed")', async () => {
    for (const attempt of [1, 2, 7])
      await expect(failHandler.run({ message: 'disk full' }, ctx(attempt))).rejects.toEqual(
        new TaskFailure('disk full'),
      );
    await expect(failHandler.run(undefined, ctx())).rejects.toThrow('task failed');
    await expect(failHandler.run({}, ctx(3))).rejects.toThrow('task failed');
  });

  it('when a fail task has attempts N, attempts 1..N fail and a later one succeeds with an output saying so', async () => {
    const payload = { message: 'flaky upstream', attempts: 2 };
    await expect(failHandler.run(payload, ctx(1))).rejects.toThrow('flaky upstream');
    await expect(failHandler.run(payload, ctx(2))).rejects.toThrow('flaky upstream');
    await expect(failHandler.run(payload, ctx(3))).resolves.toEqual({
      succeeded: 'attempt 3 succeeds: only the first 2 fail',
    });
    await expect(failHandler.run({ attempts: 1 }, ctx(2))).resolves.toEqual({
      succeeded: 'attempt 2 succeeds: only the first 1 fail',
    });
  });

  it('when a fail payload is malformed, validation names each bad field', () => {
    expect(failHandler.validate?.(undefined)).toBeUndefined();
    expect(failHandler.validate?.(null)).toBeUndefined();
    expect(failHandler.validate?.({ message: 'x', attempts: 1 })).toBeUndefined();
    expect(failHandler.validate?.('boom')).toEqual(['payload must be an object: {message, attempts}']);
    expect(failHandler.validate?.([])).toEqual(['payload must be an object: {message, attempts}']);
    expect(failHandler.validate?.({ message: 3 })).toEqual(['payload.message must be a string']);
    for (const attempts of [0, -1, 1.5, '1', null])
      expect(failHandler.validate?.({ attempts })).toEqual(['payload.attempts must be a positive integer']);
    expect(failHandler.validate?.({ message: false, attempts: 0 })).toEqual([
      'payload.message must be a string',
      'payload.attempts must be a positive integer',
    ]);
  });

  it('when an echo task runs, its output is its payload; a sleep task outputs how long it slept', async () => {
    await expect(echoHandler.run({ rows: 42 }, ctx())).resolves.toEqual({ rows: 42 });
    await expect(sleepHandler.run({ ms: 1 }, ctx())).resolves.toEqual({ slept: 1 });
    expect(sleepHandler.validate?.({ ms: -1 })).toEqual(['payload.ms must be a non-negative integer']);
  });
});
