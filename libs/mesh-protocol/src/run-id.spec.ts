import { randomUUID } from 'node:crypto';
import { RUN_ID_PATTERN } from './index';
import { newRunId, runIdTime } from './run-id';

describe('run ids', () => {
  it('when a run id is made, it is a UUID version 7 that gives back its creation time and fits the run id pattern', () => {
    const at = Date.UTC(2026, 10, 28, 5, 30, 0, 123);
    const id = newRunId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(runIdTime(id)).toBe(at);
    expect(RUN_ID_PATTERN.test(id)).toBe(true);
  });

  it('when run ids are made later, they sort after earlier ones; two made at once differ', () => {
    const ids = [newRunId(1000), newRunId(1001), newRunId(1001), newRunId(2_000_000_000_000)];
    expect([...ids].sort()).toEqual([ids[0], expect.any(String), expect.any(String), ids[3]]);
    expect(ids[1]).not.toBe(ids[2]);
  });

  it('when an id is not a version 7 UUID (a client or producer chose it), it has no time', () => {
    expect(runIdTime(randomUUID())).toBeUndefined();
    expect(runIdTime('nightly-2026-11-28')).toBeUndefined();
    expect(runIdTime('')).toBeUndefined();
  });
});
