import { Writable } from 'node:stream';
import { createLogger } from '@mesh/logging';
import type { ConsumedEntry } from '@mesh/mesh-protocol';
import { endEach, perEntryOnFailure } from './per-entry';

const logger = createLogger({ service: 'supervisor', destination: new Writable({ write: (_c, _e, done) => done() }) });
const entry = (id: string, deliveries = 1): ConsumedEntry<string> => ({ id, message: id, fields: [], deliveries });

describe('per-entry handling', () => {
  it('when a batch fails, each entry is handled again alone as a replay; only the bad one fails', async () => {
    const calls: Array<Array<[string, number]>> = [];
    const handle = perEntryOnFailure<string>(
      async (entries) => {
        calls.push(entries.map((e) => [e.id, e.deliveries]));
        if (entries.some((e) => e.id === 'bad')) throw new Error('WRONGTYPE');
      },
      { logger, stopping: new AbortController().signal },
    );
    await expect(handle([entry('a'), entry('bad'), entry('c', 3)])).rejects.toThrow('1 of 3 entries failed');
    expect(calls).toEqual([
      [
        ['a', 1],
        ['bad', 1],
        ['c', 3],
      ],
      [['a', 2]],
      [['bad', 2]],
      [['c', 3]],
    ]);
    // A batch that succeeds is handled once; a lone entry that fails just fails.
    await handle([entry('x'), entry('y')]);
    expect(calls.at(-1)).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
    await expect(handle([entry('bad')])).rejects.toThrow('WRONGTYPE');
  });

  it('when the supervisor is stopping, a failed batch is not handled again entry by entry', async () => {
    const stopping = new AbortController();
    stopping.abort();
    let calls = 0;
    const handle = perEntryOnFailure<string>(
      async () => {
        calls++;
        throw new Error('stopping');
      },
      { logger, stopping: stopping.signal },
    );
    await expect(handle([entry('a'), entry('b')])).rejects.toThrow('stopping');
    expect(calls).toBe(1);
  });

  it('when some entries past the limit cannot be ended, the ended ones are dead-lettered and the call rejects', async () => {
    const dead: string[][] = [];
    const end = endEach<string>(
      async (e) => {
        if (e.id === 'stuck') throw new Error('NOPERM');
      },
      async (entries) => void dead.push(entries.map((e) => e.id)),
    );
    await expect(end([entry('a', 6), entry('stuck', 6), entry('b', 6)])).rejects.toThrow(
      '1 of 3 entries past the delivery limit could not be ended yet',
    );
    expect(dead).toEqual([['a', 'b']]);
    // All ended: the caller dead-letters them.
    await end([entry('c', 6)]);
    expect(dead).toEqual([['a', 'b']]);
  });
});
