import { graphProblems, topologicalOrder } from './graph';

const t = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe('task graph validation', () => {
  it('when the graph is a valid DAG, there is no problem and each task comes after its dependencies', () => {
    const tasks = [t('load', 'transform'), t('extract'), t('transform', 'extract'), t('report', 'load', 'extract')];
    expect(graphProblems(tasks)).toEqual([]);
    expect(topologicalOrder(tasks)).toEqual(['extract', 'transform', 'load', 'report']);
  });

  it('when independent tasks are ready together, they keep submission order', () => {
    expect(topologicalOrder([t('b'), t('a'), t('c', 'a', 'b')])).toEqual(['b', 'a', 'c']);
  });

  it('when there is a cycle, it is refused naming the cycle', () => {
    expect(graphProblems([t('a', 'c'), t('b', 'a'), t('c', 'b'), t('d')])).toEqual(['dependency cycle: a → c → b → a']);
    expect(topologicalOrder([t('a', 'b'), t('b', 'a')])).toBeUndefined();
  });

  it('when a dependency is unknown or a task depends on itself, each is named', () => {
    expect(graphProblems([t('a', 'ghost'), t('b', 'b')])).toEqual([
      'task "a" depends on unknown task "ghost"',
      'task "b" depends on itself',
    ]);
  });

  it('when task ids repeat, the duplicate is named', () => {
    expect(graphProblems([t('a'), t('a')])).toEqual(['duplicate task id "a"']);
  });

  it('when a run has 10,000 tasks in a chain, validation does not blow the stack', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => (i === 0 ? t('t0') : t(`t${i}`, `t${i - 1}`)));
    expect(graphProblems(chain)).toEqual([]);
  });
});

describe('cycles in long graphs', () => {
  it('when a 10,000-task chain closes into a cycle, it is found without recursion', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => t(`t${i}`, `t${(i + 1) % 10_000}`));
    const [problem] = graphProblems(chain);
    expect(problem).toMatch(/^dependency cycle: t0 → t1 → t2 → /);
    expect(problem).toMatch(/ → t0$/);
  });
});

/** The best of a few runs, in ms: the least disturbed by whatever else the machine is doing. */
function bestOf(runs: number, work: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** How much longer checking a graph 8 times as large takes: ~8 when linear, ~64 when quadratic. */
function growth(make: (n: number) => Array<{ id: string; dependsOn: string[] }>, n: number): number {
  const small = make(n);
  const large = make(8 * n);
  graphProblems(small); // warm up the JIT on the same shapes
  return (
    bestOf(3, () => graphProblems(large)) /
    Math.max(
      bestOf(3, () => graphProblems(small)),
      0.05,
    )
  );
}

const star = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? t('root') : t(`t${i}`, 'root')));
const chain = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? t('t0') : t(`t${i}`, `t${i - 1}`)));

describe('cost of checking large graphs', () => {
  it('when a star of 18,000 tasks (one root, all others depending on it) is checked, it is valid and the cost grows linearly', () => {
    expect(graphProblems(star(18_000))).toEqual([]);
    expect(topologicalOrder(star(18_000))).toHaveLength(18_000);
    // Generous: a loaded machine blurs timings, but a quadratic check grows ~64 times.
    expect(growth(star, 2_500)).toBeLessThan(24);
  });

  it('when a chain of 100,000 tasks is checked, it is valid and the cost grows linearly', () => {
    expect(graphProblems(chain(100_000))).toEqual([]);
    expect(growth(chain, 2_500)).toBeLessThan(24);
  });

  it('when 18,000 tasks all depend on one task that closes a cycle, the cycle is named', () => {
    const tasks = star(18_000).map((task) => (task.id === 'root' ? t('root', 't1') : task));
    expect(graphProblems(tasks)).toEqual(['dependency cycle: root → t1 → root']);
  });
});
