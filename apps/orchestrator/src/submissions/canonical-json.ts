/** How deeply a submission may nest (objects and arrays, the body itself included). */
export const MAX_BODY_DEPTH = 64;

/**
 * The nesting depth of a parsed JSON value, counted without recursion and giving up past `limit`
 * (so a hostile body costs at most its size). A scalar has depth 0, `{}` and `[]` depth 1.
 */
export function jsonDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, here]);
  }
  return deepest;
}

/**
 * JSON text with the keys of every object sorted, so that two bodies that differ only in key order
 * (or whitespace) have the same text. Arrays keep their order: task order is part of a submission.
 * Callers bound the depth first (jsonDepth); this recursion stays within it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
