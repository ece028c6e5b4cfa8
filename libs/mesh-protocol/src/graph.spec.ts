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
