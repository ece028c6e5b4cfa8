import type { TaskRecord } from '@mesh/client';

/**
 * The dependency edges ([dependency, dependent]) of a run's tasks. The record names every dependency in
 * `dependsOn`; a server that does not send it names only a pending task's unmet ones (`waitingFor`), so
 * edges seen earlier on the page are kept in `seen` and still drawn once those tasks have started.
 */
export function dependencyEdges(tasks: readonly TaskRecord[], seen: Map<string, Set<string>>): Array<[string, string]> {
  for (const t of tasks) {
    const deps = t.dependsOn ?? t.waitingFor ?? [];
    if (deps.length === 0) continue;
    let known = seen.get(t.id);
    if (!known) seen.set(t.id, (known = new Set()));
    for (const d of deps) known.add(d);
  }
  const edges: Array<[string, string]> = [];
  for (const t of tasks) for (const d of seen.get(t.id) ?? []) edges.push([d, t.id]);
  return edges;
}
