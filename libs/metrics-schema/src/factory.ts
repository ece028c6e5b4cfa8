import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricDefinition, MetricSet } from './definitions';
import type { EnumLabel } from './labels';
import { LabelGuard, type InvalidHandler, type OverflowHandler } from './label-guard';

type LabelValue<S> = S extends EnumLabel<infer V> ? V : string;
export type LabelsOf<D extends MetricDefinition> = { [K in keyof D['labels']]: LabelValue<D['labels'][K]> };

type WithLabels<L, F extends (...a: never[]) => unknown> = keyof L extends never
  ? F
  : (labels: L, ...rest: Parameters<F>) => ReturnType<F>;

export interface CounterHandle<L> {
  inc: WithLabels<L, (value?: number) => void>;
  /**
   * Creates the series at 0 if it is not there yet, so `rate()` sees its first increase. Counters whose
   * labels are all closed sets get every series at registration; call this for label values known at
   * start (the kinds a runner executes, the domains a supervisor routes to).
   */
  zero: WithLabels<L, () => void>;
}
export interface GaugeHandle<L> {
  set: WithLabels<L, (value: number) => void>;
  inc: WithLabels<L, (value?: number) => void>;
  dec: WithLabels<L, (value?: number) => void>;
  /** Drops every series of this gauge (e.g. before re-publishing a reloaded tenant map). */
  reset(): void;
}
export interface HistogramHandle<L> {
  observe: WithLabels<L, (value: number) => void>;
}

export type Instrument<D extends MetricDefinition> = D['type'] extends 'counter'
  ? CounterHandle<LabelsOf<D>>
  : D['type'] extends 'gauge'
    ? GaugeHandle<LabelsOf<D>>
    : HistogramHandle<LabelsOf<D>>;

export type Metrics<S extends MetricSet> = { readonly [K in keyof S]: Instrument<S[K]> };

export interface RegisterOptions {
  /**
   * Called the first time a name or text label of a metric reaches its distinct-value cap; that value and
   * later new ones are folded into `_other`.
   */
  onLabelOverflow?: OverflowHandler;
  /**
   * Called the first time a label of a metric is given a value it cannot hold (malformed, id-shaped, outside
   * its enum, missing), recorded as `_invalid`, or a label it does not declare, dropped. Default: nothing.
   */
  onLabelInvalid?: InvalidHandler;
}

/**
 * Registers every metric of `set` on `registry` (never the global one) and returns typed handles
 * that map label values through a LabelGuard before they reach prom-client: a handle never throws
 * on a label value. Every series of a counter whose labels are all enums starts at 0.
 */
export function registerMetrics<S extends MetricSet>(
  registry: Registry,
  set: S,
  options: RegisterOptions = {},
): Metrics<S> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(set)) {
    out[key] = instrument(
      registry,
      def,
      new LabelGuard(def.name, def.labels, options.onLabelOverflow, options.onLabelInvalid),
    );
  }
  return Object.freeze(out) as Metrics<S>;
}

function instrument(registry: Registry, def: MetricDefinition, guard: LabelGuard): unknown {
  const labelNames = Object.keys(def.labels);
  const common = { name: def.name, help: def.help, labelNames, registers: [registry] };
  const labeled = labelNames.length > 0;
  // With labels, handles take (labels, value); without, just (value).
  const call =
    <A extends unknown[]>(fn: (labels: Record<string, string>, ...a: A) => void) =>
    (...args: unknown[]) =>
      labeled ? fn(guard.check(args[0] as Record<string, string>), ...(args.slice(1) as A)) : fn({}, ...(args as A));

  switch (def.type) {
    case 'counter': {
      const c = new Counter(common);
      if (labeled) for (const labels of enumCombinations(def)) c.inc(labels, 0);
      return { inc: call((l, v: number = 1) => c.inc(l, v)), zero: call((l) => c.inc(l, 0)) };
    }
    case 'gauge': {
      const g = new Gauge(common);
      return {
        set: call((l, v: number) => g.set(l, v)),
        inc: call((l, v: number = 1) => g.inc(l, v)),
        dec: call((l, v: number = 1) => g.dec(l, v)),
        reset: () => g.reset(),
      };
    }
    case 'histogram': {
      const h = new Histogram({ ...common, buckets: [...(def.buckets ?? [])] });
      return { observe: call((l, v: number) => h.observe(l, v)) };
    }
  }
}

/** Every combination of the metric's label values when all its labels are enums; none otherwise. */
function enumCombinations(def: MetricDefinition): Array<Record<string, string>> {
  let combos: Array<Record<string, string>> = [{}];
  for (const [label, spec] of Object.entries(def.labels)) {
    if (spec.kind !== 'enum') return [];
    combos = combos.flatMap((c) => spec.values.map((v) => ({ ...c, [label]: v })));
  }
  return combos;
}
