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
