import { crc16, keySlot, partitionTag } from './slot';

describe('hash slots', () => {
  it('when a key is hashed, the slot is the one Redis Cluster gives it (CLUSTER KEYSLOT)', () => {
    // Values from CLUSTER KEYSLOT on Redis 7.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('123456789')).toBe(12739);
  });

  it('when a key has a hash tag, only the tag is hashed; an empty tag does not count', () => {
    expect(keySlot('mesh:run:{r1}:meta')).toBe(keySlot('r1'));
    expect(keySlot('mesh:run:{r1}:status')).toBe(keySlot('mesh:run:{r1}:meta'));
    expect(keySlot('a{}b')).toBe(crc16('a{}b') % 16384);
    expect(keySlot('a{}{b}')).not.toBe(keySlot('b'));
  });

  it('when partitions are tagged, each tag lands in its own equal share of the slots', () => {
    for (const count of [1, 2, 3, 8, 16, 64]) {
      const slots = Array.from({ length: count }, (_, i) => keySlot(`{${partitionTag(i, count)}}`));
      slots.forEach((slot, i) => {
        expect(slot).toBeGreaterThanOrEqual(Math.floor((i * 16384) / count));
        expect(slot).toBeLessThan(Math.floor(((i + 1) * 16384) / count));
      });
    }
    expect([partitionTag(0, 8), partitionTag(3, 8), partitionTag(7, 8)]).toEqual(['p0.1', 'p3.1', 'p7.10']);
  });
});
