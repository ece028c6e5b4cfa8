import { MetricLabelError } from '@mesh/errors';
import { OVERFLOW_LABEL_VALUE, type LabelSpec } from './labels';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const TEXT_PATTERN = /^[^\u0000-\u001f\u007f]{1,128}$/;
/** UUIDs and ULIDs: the shapes of run and assignment ids, which must never become label values. */
const ID_PATTERNS = [
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
  /(^|[^0-9A-Z])[0-9A-HJKMNP-TV-Z]{26}($|[^0-9A-Z])/,
];

export type OverflowHandler = (metric: string, label: string) => void;

/**
 * Checks the label values of one metric. Enum labels accept only their values; name and text
 * labels accept a well-formed value that does not look like a run or assignment id, up to
 * `maxValues` distinct values, after which new values become `_other`. A value is checked once and
 * then remembered, so the hot path is one Map lookup per label.
 */
export class LabelGuard {
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly names: readonly string[];

  constructor(
    private readonly metric: string,
    private readonly specs: Readonly<Record<string, LabelSpec>>,
    private readonly onOverflow: OverflowHandler = () => undefined,
  ) {
    this.names = Object.keys(specs);
    for (const label of this.names) this.seen.set(label, new Map());
  }

  /** Returns the labels to record (possibly with `_other`), or throws MetricLabelError. */
  check(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
    const given = labels ?? {};
    for (const key of Object.keys(given)) {
      if (!Object.hasOwn(this.specs, key))
        throw new MetricLabelError(this.metric, key, 'is not a label of this metric');
    }
    const out: Record<string, string> = {};
    for (const label of this.names) {
      const value = given[label];
      if (typeof value !== 'string') throw new MetricLabelError(this.metric, label, 'is missing');
      out[label] = this.accept(label, value);
    }
    return out;
  }

  private accept(label: string, value: string): string {
    const seen = this.seen.get(label) as Map<string, string>;
    const known = seen.get(value);
    if (known !== undefined) return known;

    const spec = this.specs[label] as LabelSpec;
    if (spec.kind === 'enum') {
      if (!spec.values.includes(value)) {
        throw new MetricLabelError(
          this.metric,
          label,
          `does not accept ${JSON.stringify(value)} (one of: ${spec.values.join(', ')})`,
        );
      }
      seen.set(value, value);
      return value;
    }
    const pattern = spec.kind === 'name' ? NAME_PATTERN : TEXT_PATTERN;
    if (!pattern.test(value))
      throw new MetricLabelError(this.metric, label, `does not accept the malformed value ${JSON.stringify(value)}`);
    if (ID_PATTERNS.some((p) => p.test(value))) {
      throw new MetricLabelError(this.metric, label, 'does not accept per-run identifiers (a UUID or ULID)');
    }
    if (seen.size >= spec.maxValues) {
      this.onOverflow(this.metric, label);
      return OVERFLOW_LABEL_VALUE;
    }
    seen.set(value, value);
    return value;
  }
}
