import { canonicalJson, jsonDepth } from './canonical-json';

describe('canonical JSON', () => {
  it('when two values differ only in key order, at any depth, their canonical texts are equal', () => {
    const a = { workflow: 'etl', tasks: [{ id: 'x', payload: { b: 1, a: [{ d: 1, c: 2 }] } }] };
    const b = { tasks: [{ payload: { a: [{ c: 2, d: 1 }], b: 1 }, id: 'x' }], workflow: 'etl' };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(JSON.parse(canonicalJson(a))).toEqual(a);
  });

  it('when arrays differ in order or values differ, the canonical texts differ', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
    expect(canonicalJson({ a: '1' })).not.toBe(canonicalJson({ a: 1 }));
  });

  it('when depth is measured, scalars are 0 and each object or array level adds 1, stopping past the limit', () => {
    expect(jsonDepth('x', 10)).toBe(0);
    expect(jsonDepth({ a: [{}] }, 10)).toBe(3);
    let deep: unknown = 0;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(jsonDepth(deep, 64)).toBe(65);
  });
});
