import { createKeys, GROUPS } from './keys';

describe('keys', () => {
  it('when built with the default prefix, the names are the wire protocol v1 names', () => {
    const k = createKeys();
    expect([k.workflows, k.acks, k.runEvents, k.dead, k.runners, k.assignments('gpu-east')]).toEqual([
      'mesh:workflows',
      'mesh:acks',
      'mesh:run-events',
      'mesh:dead',
      'mesh:runners',
      'mesh:assignments:gpu-east',
    ]);
    expect(GROUPS).toEqual({ supervisor: 'supervisor', runners: 'runners' });
  });

  it('when a prefix is configured, every name starts with it', () => {
    const k = createKeys('test:abc');
    expect(k.workflows).toBe('test:abc:workflows');
    expect(k.assignments('d1')).toBe('test:abc:assignments:d1');
  });

  it('when a run key is built, the run id is its hash tag', () => {
    expect(createKeys().run('r-1', 'tasks')).toBe('mesh:run:{r-1}:tasks');
    expect(() => createKeys().run('a}b', 'tasks')).toThrow(RangeError);
  });

  it('when a domain or prefix is not a name, building refuses it', () => {
    expect(() => createKeys().assignments('a:b')).toThrow(/domain/);
    expect(() => createKeys().assignments('')).toThrow(/empty/);
    expect(() => createKeys('mesh{x}')).toThrow(/prefix/);
    expect(() => createKeys('')).toThrow(/prefix is empty/);
  });
});

describe('partitions', () => {
  it('when there is one partition, its keys are the plain names and every run is in it', () => {
    const k = createKeys('mesh', 1);
    expect(k.partitionKeys).toEqual([
      {
        index: 0,
        workflows: 'mesh:workflows',
        acks: 'mesh:acks',
        runEvents: 'mesh:run-events',
        schedule: 'mesh:schedule',
      },
    ]);
    expect(k.ofRun('any-run')).toBe(k.partitionKeys[0]);
    expect(k.partitionCount).toBe('mesh:partitions');
  });

  it('when there are several, each partition has its own hash tag and runs spread over all of them', () => {
    const k = createKeys('mesh', 8);
    const tags = k.partitionKeys.map((p) => /\{([^}]+)\}$/.exec(p.workflows)?.[1]);
    expect(new Set(tags).size).toBe(8);
    for (const p of k.partitionKeys) {
      const tag = /\{[^}]+\}$/.exec(p.workflows)?.[0];
      expect([p.acks, p.runEvents, p.schedule].every((key) => key.endsWith(tag ?? '?'))).toBe(true);
      expect(p.workflows.startsWith('mesh:workflows:{')).toBe(true);
    }
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(k.partitionOf(`run-${i}`));
    expect(seen.size).toBe(8);
    expect(k.ofRun('run-7')).toBe(k.partitionKeys[k.partitionOf('run-7')]);
    // The wire names outside producers must compute (docs/protocol/README.md#partitions).
    expect(k.partitionKeys[3]).toEqual({
      index: 3,
      workflows: 'mesh:workflows:{p3.1}',
      acks: 'mesh:acks:{p3.1}',
      runEvents: 'mesh:run-events:{p3.1}',
      schedule: 'mesh:schedule:{p3.1}',
    });
    // CRC16("123456789") is 0x31C3 = 12739, and 12739 mod 8 = 3.
    expect(k.partitionOf('123456789')).toBe(3);
    expect(k.unpartitioned.workflows).toBe('mesh:workflows');
    expect(k.partitionOf('run-7')).toBe(createKeys('other', 8).partitionOf('run-7'));
  });

  it('when the number of partitions is out of range, building refuses it', () => {
    expect(() => createKeys('mesh', 0)).toThrow(/partitions/);
    expect(() => createKeys('mesh', 65)).toThrow(/partitions/);
    expect(() => createKeys('mesh', 1.5)).toThrow(/partitions/);
  });
});
