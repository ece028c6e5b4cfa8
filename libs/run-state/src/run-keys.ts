import type { MeshKeys } from '@mesh/mesh-protocol';

/**
 * The keys of one run's state, in the order the Lua scripts receive them as KEYS. Each carries the run
 * id as a hash tag, so every script over a run touches one Redis Cluster slot.
 */
export const RUN_KEY_PARTS = [
  /** hash: runId workflow tenant status submittedAt startedAt finishedAt domain route hardware error rerunOf total done failed, n:<task status> counts */
  'meta',
  /** hash: taskId → spec JSON (kind, payload, timeoutMs, queueTimeoutMs) */
  'spec',
  /** hash: taskId → its dependencies, comma-separated (only tasks that have some) */
  'deps',
  /** hash: taskId → the tasks that depend on it, comma-separated */
  'children',
  /** hash: taskId → how many of its dependencies have not succeeded yet (pending tasks only) */
  'waiting',
  /** hash: taskId → task status */
  'status',
  /** hash: taskId → current attempt (1, 2, …) */
  'attempt',
  /** hash: taskId → retries allowed (only when more than 0) */
  'retries',
  /** hash: "taskId|field" → queuedAt, startedAt, finishedAt, runnerId, error of the current attempt */
  'info',
  /** hash: taskId → output JSON of its successful attempt */
  'output',
  /** hash: runnerId → hardware snapshot JSON, once per runner that ran a task of the run */
  'runners',
  /** string: task ids in submission order, comma-separated */
  'order',
  /** hash: taskId → its own routing rule JSON ({"domain":…} or {"requires":…}), only for tasks that have one */
  'routes',
] as const;

export type RunKeyPart = (typeof RUN_KEY_PARTS)[number];

/** Every key of one run, by name. */
export type RunKeys = { readonly [P in RunKeyPart]: string };

export function runKeys(keys: MeshKeys, runId: string): RunKeys {
  const named = {} as Record<RunKeyPart, string>;
  for (const part of RUN_KEY_PARTS) named[part] = keys.run(runId, part);
  return named;
}

/** The run's keys as a script's KEYS array. */
export function runKeyList(keys: MeshKeys, runId: string): string[] {
  return RUN_KEY_PARTS.map((part) => keys.run(runId, part));
}
