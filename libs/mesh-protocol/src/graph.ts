import type { SubmissionTask } from './messages';

/**
 * Checks a task graph before anything runs (in time linear in tasks + dependencies: it runs on the
 * request path, so a large graph must not hold the event loop): unique task ids, dependencies that exist (and are not
 * the task itself), and no cycles. Returns every problem found, in a stable order.
 */
export function graphProblems(tasks: ReadonlyArray<Pick<SubmissionTask, 'id' | 'dependsOn'>>): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.id)) problems.push(`duplicate task id "${t.id}"`);
    ids.add(t.id);
  }
  for (const t of tasks) {
    for (const dep of t.dependsOn) {
      if (dep === t.id) problems.push(`task "${t.id}" depends on itself`);
      else if (!ids.has(dep)) problems.push(`task "${t.id}" depends on unknown task "${dep}"`);
    }
  }
  if (problems.length > 0) return problems;
  const cycle = findCycle(tasks);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' → ')}`);
  return problems;
}

/** Kahn's algorithm: the tasks in an order where each comes after its dependencies (ties by input order). */
export function topologicalOrder(tasks: ReadonlyArray<Pick<SubmissionTask, 'id' | 'dependsOn'>>): string[] | undefined {
  const order = kahn(tasks);
  return order.length === tasks.length ? order : undefined;
}

function kahn(tasks: ReadonlyArray<Pick<SubmissionTask, 'id' | 'dependsOn'>>): string[] {
  const remaining = new Map(tasks.map((t) => [t.id, new Set(t.dependsOn).size]));
  // Appended in place: copying a task's list on each insert made a star of n tasks cost n² (issue 11).
  const children = new Map<string, string[]>();
  for (const t of tasks)
    for (const dep of new Set(t.dependsOn)) {
      const list = children.get(dep);
      if (list) list.push(t.id);
      else children.set(dep, [t.id]);
    }
  const queue = tasks.filter((t) => remaining.get(t.id) === 0).map((t) => t.id);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    order.push(id);
    for (const child of children.get(id) ?? []) {
      const left = (remaining.get(child) ?? 0) - 1;
      remaining.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  return order;
}

/** One cycle as a path that ends where it starts ("a → b" reads "a depends on b"), or undefined. */
function findCycle(tasks: ReadonlyArray<Pick<SubmissionTask, 'id' | 'dependsOn'>>): string[] | undefined {
  const sorted = new Set(kahn(tasks));
  if (sorted.size === tasks.length) return undefined;
  // Every task Kahn's algorithm could not order waits on another such task, so following those
  // dependencies from any of them must come back to a task already on the path.
  const left = new Set(tasks.map((t) => t.id).filter((id) => !sorted.has(id)));
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const position = new Map<string, number>();
  const path: string[] = [];
  let current = [...left][0] as string;
  while (!position.has(current)) {
    position.set(current, path.length);
    path.push(current);
    current = (deps.get(current) ?? []).find((d) => left.has(d)) as string;
  }
  return [...path.slice(position.get(current)), current];
}
