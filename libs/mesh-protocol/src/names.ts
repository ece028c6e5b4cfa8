/**
 * A Mesh name (tenant, domain, runner id, workflow, stream prefix part): it becomes part of a Redis
 * key and a metric label, so it is short and free of separators, braces and spaces.
 */
export const MESH_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isMeshName(value: unknown): value is string {
  return typeof value === 'string' && MESH_NAME_PATTERN.test(value);
}

/** Explains why `value` is not a Mesh name, or returns undefined when it is one. */
export function meshNameProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (value.length > 64) return `is longer than 64 characters`;
  if (!MESH_NAME_PATTERN.test(value))
    return `${JSON.stringify(value)} is not a name (letters, digits, "_", "." and "-", starting with a letter or digit)`;
  return undefined;
}
