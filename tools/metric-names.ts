import { METRIC_SETS } from '@mesh/metrics-schema';

const DEFINED = new Set(Object.values(METRIC_SETS).flatMap((set) => Object.values(set).map((d) => d.name)));
const HISTOGRAMS = new Set(
  Object.values(METRIC_SETS).flatMap((set) =>
    Object.values(set)
      .filter((d) => d.type === 'histogram')
      .map((d) => d.name),
  ),
);

/** Names in a PromQL expression that look like Mesh metrics but are not defined in libs/metrics-schema. */
export function undefinedMetrics(expr: string): string[] {
  const named = expr.match(/\b(?:supervisor|env_runner|orchestrator)_[a-z0-9_]+/g) ?? [];
  return named.filter((name) => {
    if (DEFINED.has(name)) return false;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return !(base !== name && HISTOGRAMS.has(base));
  });
}
