/**
 * How the reports of `--scaling` and `--cluster` write their figures: numbers, Markdown tables padded
 * for a terminal, the parameters line and the notes.
 */

/** A count, rounded, with thousands separators. */
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** A ratio ("1.23×"); n/a when not finite. */
export const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
/** CPU µs, whole. */
export const us = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(0));
/** Cores busy, two decimals. */
export const cores = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(2));
/** Load averages, "1.00 / 0.50 / 0.25". */
export const loads = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
/** "1 runner", "2 runners". */
export const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Rows of a Markdown table, columns padded so it reads in a terminal too. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)];
}

/** "parameters: name=value, …", in the report's order. */
export function parametersLine(parameters: Readonly<Record<string, number | string>>): string {
  return `parameters: ${Object.entries(parameters)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ')}`;
}

/** The notes as a list under "Notes" after a blank line; nothing when there are none. */
export function notesLines(notes: readonly string[]): string[] {
  return notes.length > 0 ? ['', 'Notes', ...notes.map((n) => `  - ${n}`)] : [];
}

/** Tasks/s of a row, with the min–max over its samples in brackets when it has more than one. */
export function tasksPerSecCell(r: {
  readonly samples: number;
  readonly tasksPerSec: number;
  readonly tasksPerSecMin: number;
  readonly tasksPerSecMax: number;
}): string {
  return int(r.tasksPerSec) + (r.samples > 1 ? ` (${int(r.tasksPerSecMin)}–${int(r.tasksPerSecMax)})` : '');
}
