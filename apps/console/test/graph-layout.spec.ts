import { dependencyEdges } from '../src/dependencies';
import { layoutGraph, NODE_WIDTH } from '../src/graph-layout';

const task = (id: string, extra: Record<string, unknown> = {}) =>
  ({ id, kind: 'echo', status: 'pending', attempts: 0, ...extra }) as const;

describe('the task graph layout', () => {
  it('when tasks fan out and in, each rank lies to the right of the one it depends on', () => {
    const g = layoutGraph(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    );
    const x = Object.fromEntries(g.nodes.map((n) => [n.id, n.x]));
    expect(x['b']).toBeGreaterThanOrEqual((x['a'] as number) + NODE_WIDTH);
    expect(x['b']).toBe(x['c']);
    expect(x['d']).toBeGreaterThanOrEqual((x['b'] as number) + NODE_WIDTH);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'a>c', 'b>d', 'c>d']);
    for (const e of g.edges) expect(e.path).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+$/);
    expect(g.width).toBeGreaterThan(3 * NODE_WIDTH);
  });

  it('when an edge names an unknown task or a task itself, it is left out and the rest is laid out', () => {
    const g = layoutGraph(
      ['a', 'b'],
      [
        ['a', 'b'],
        ['ghost', 'b'],
        ['b', 'b'],
      ],
    );
    expect(g.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(g.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b']);
  });
});

describe('the dependency edges of a record', () => {
  it('when the record gives dependsOn, every dependency is an edge', () => {
    const seen = new Map<string, Set<string>>();
    const edges = dependencyEdges(
      [task('a', { status: 'succeeded' }), task('b', { dependsOn: ['a'] }), task('c', { dependsOn: ['a', 'b'] })],
      seen,
    );
    expect(edges).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ]);
  });

  it('when only waitingFor is given, edges seen while tasks waited are kept after they started', () => {
    const seen = new Map<string, Set<string>>();
    dependencyEdges([task('a', { status: 'running' }), task('b', { waitingFor: ['a'] })], seen);
    const later = dependencyEdges([task('a', { status: 'succeeded' }), task('b', { status: 'running' })], seen);
    expect(later).toEqual([['a', 'b']]);
  });
});
