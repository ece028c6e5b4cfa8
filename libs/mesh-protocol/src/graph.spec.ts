import { graphProblems, topologicalOrder } from './graph';
import { MAX_TASKS_PER_RUN } from './messages/submission';

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

const star = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? t('root') : t(`t${i}`, 'root')));
const chain = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? t('t0') : t(`t${i}`, `t${i - 1}`)));

describe('cost of checking large graphs', () => {
  // No timings here (they are the benchmark's business): the sizes are the guard. A check quadratic in the
  // tasks took about 8 s for an 18,000-task star; on the largest run allowed it would take minutes and
  // outlast the test's timeout, while a linear one takes well under a second.
  it('when a star of the largest run allowed (one root, all others depending on it) is checked, it is valid', () => {
    expect(graphProblems(star(MAX_TASKS_PER_RUN))).toEqual([]);
    expect(topologicalOrder(star(MAX_TASKS_PER_RUN))).toHaveLength(MAX_TASKS_PER_RUN);
  });

  it('when a chain of the largest run allowed is checked, it is valid and in order', () => {
    expect(graphProblems(chain(MAX_TASKS_PER_RUN))).toEqual([]);
    expect(topologicalOrder(chain(MAX_TASKS_PER_RUN))?.slice(0, 3)).toEqual(['t0', 't1', 't2']);
  });

  it('when 18,000 tasks all depend on one task that closes a cycle, the cycle is named', () => {
    const tasks = star(18_000).map((task) => (task.id === 'root' ? t('root', 't1') : task));
    expect(graphProblems(tasks)).toEqual(['dependency cycle: root → t1 → root']);
  });
});
