/**
 * Label kinds. Every label a Mesh metric carries is bounded: either a closed set of values, or a
 * name chosen by an operator (tenant, domain, workflow, worker) or read off hardware, capped in
 * how many distinct values one process may create. Per-run values (run ids, assignment ids) are
 * refused: they would make every series unique. A refused value is recorded as `_invalid`, never
 * thrown (see LabelGuard).
 */
export interface EnumLabel<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}

/** An operator-chosen name: `[A-Za-z0-9][A-Za-z0-9_.:-]*`, at most 128 characters. */
export interface NameLabel {
  readonly kind: 'name';
  /** Distinct values one process may create before new ones are folded into `_other`. */
  readonly maxValues: number;
}

/** Free text read off hardware (a GPU model, a driver version): printable, at most 128 characters. */
export interface TextLabel {
  readonly kind: 'text';
  readonly maxValues: number;
}

export type LabelSpec = EnumLabel | NameLabel | TextLabel;

/** The value a label takes once its `maxValues` distinct values are in use. */
export const OVERFLOW_LABEL_VALUE = '_other';

/**
 * The value a label takes when it is given one it cannot hold: malformed, longer than 128
 * characters, shaped like a run or assignment id, outside its enum, or missing.
 */
export const INVALID_LABEL_VALUE = '_invalid';

export function oneOf<const V extends string>(...values: V[]): EnumLabel<V> {
  return { kind: 'enum', values };
}

export function name(maxValues = 1000): NameLabel {
  return { kind: 'name', maxValues };
}

export function text(maxValues = 64): TextLabel {
  return { kind: 'text', maxValues };
}
