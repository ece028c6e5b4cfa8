import { INVALID_LABEL_VALUE, OVERFLOW_LABEL_VALUE, type LabelSpec } from './labels';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const TEXT_PATTERN = /^[^\u0000-\u001f\u007f]{1,128}$/;
/** UUIDs and ULIDs: the shapes of run and assignment ids, which must never become label values. */
const ID_PATTERNS = [
  /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
  /(^|[^0-9A-Z])[0-9A-HJKMNP-TV-Z]{26}($|[^0-9A-Z])/,
];
/** Values longer than this are refused before any pattern looks at them. */
const MAX_VALUE_LENGTH = 128;

/** Called the first time a label of a metric reaches its cap and a value is folded into `_other`. */
export type OverflowHandler = (metric: string, label: string) => void;
/** Called the first time a label of a metric is given a value it cannot hold (recorded as `_invalid`). */
export type InvalidHandler = (metric: string, label: string, reason: string) => void;

/**
 * Checks the label values of one metric, and never throws: label values often come from message
 * content (a task kind, a workflow name), and no content may end a process. Enum labels accept
 * their values; name and text labels accept a well-formed value that does not look like a run or
 * assignment id, up to `maxValues` distinct values, after which new values become `_other`. A value
 * a label cannot hold (malformed, too long, id-shaped, outside an enum, missing) becomes `_invalid`;
 * a label the metric does not declare is dropped. So each label has at most `maxValues + 2` values.
 * Each problem is reported once per label, so hostile input cannot flood the logs either. A valid
 * value is checked once and remembered, so the hot path is one Map lookup per label.
 */
export class LabelGuard {
  private readonly seen = new Map<string, Map<string, string>>();
  private readonly names: readonly string[];
  private readonly reported = new Set<string>();

  constructor(
    private readonly metric: string,
    private readonly specs: Readonly<Record<string, LabelSpec>>,
    private readonly onOverflow: OverflowHandler = () => undefined,
    private readonly onInvalid: InvalidHandler = () => undefined,
  ) {
    this.names = Object.keys(specs);
    for (const label of this.names) this.seen.set(label, new Map());
  }

  /** Returns the labels to record: each declared label, its value possibly replaced by `_other` or `_invalid`. */
  check(labels: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
    const given = typeof labels === 'object' && labels !== null ? labels : {};
    const out: Record<string, string> = {};
    for (const label of this.names) out[label] = this.accept(label, given[label]);
    if (Object.keys(given).length > this.names.length || this.names.some((n) => !Object.hasOwn(given, n))) {
      for (const key of Object.keys(given))
        if (!Object.hasOwn(this.specs, key)) this.invalid(key, 'is not a label of this metric');
    }
    return out;
  }

  private accept(label: string, value: unknown): string {
    const seen = this.seen.get(label) as Map<string, string>;
    if (typeof value !== 'string') return this.invalid(label, 'is missing or not a string');
    const known = seen.get(value);
    if (known !== undefined) return known;

    const spec = this.specs[label] as LabelSpec;
    if (spec.kind === 'enum') {
      if (!spec.values.includes(value)) return this.invalid(label, `is not one of: ${spec.values.join(', ')}`);
      seen.set(value, value);
      return value;
    }
    // A caller may fold values itself (e.g. kinds a runner does not execute are `_other`).
    if (value === OVERFLOW_LABEL_VALUE || value === INVALID_LABEL_VALUE) return value;
    if (value.length > MAX_VALUE_LENGTH) return this.invalid(label, `is longer than ${MAX_VALUE_LENGTH} characters`);
    const pattern = spec.kind === 'name' ? NAME_PATTERN : TEXT_PATTERN;
    if (!pattern.test(value)) return this.invalid(label, 'is malformed');
    if (ID_PATTERNS.some((p) => p.test(value)))
      return this.invalid(label, 'looks like a per-run identifier (a UUID or ULID)');
    if (seen.size >= spec.maxValues) {
      this.once(`overflow ${label}`, () => this.onOverflow(this.metric, label));
      return OVERFLOW_LABEL_VALUE;
    }
    seen.set(value, value);
    return value;
  }

  private invalid(label: string, reason: string): string {
    this.once(`invalid ${label}`, () => this.onInvalid(this.metric, label, reason));
    return INVALID_LABEL_VALUE;
  }

  /** Runs a report once per key; a throwing handler is contained, as nothing here may throw. */
  private once(key: string, report: () => void): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    try {
      report();
    } catch {
      // A reporting handler's own failure must not turn a metric update into a crash.
    }
  }
}
