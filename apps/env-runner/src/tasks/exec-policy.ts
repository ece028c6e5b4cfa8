import { readFileSync } from 'node:fs';
import { isPlainObject } from './handler';

/**
 * One entry of RUNNER_EXEC_ALLOW: a command, exactly as tasks name it, and the arguments it accepts.
 * `args[i]` is the pattern of argument i; `rest`, when given, the pattern of every argument after those.
 * Without `rest` the call must have exactly `args.length` arguments (none when `args` is absent).
 * Patterns are JavaScript regular expressions matched against the whole argument.
 */
export interface ExecRule {
  /** The entry's position in the list, from 1 (named in refusals). */
  readonly entry: number;
  readonly command: string;
  readonly args: readonly ArgPattern[];
  readonly rest?: ArgPattern;
  /** Listed by bare name in the old comma-separated form: allowed with no arguments only. */
  readonly legacy: boolean;
}

/** A compiled argument pattern, with the text the operator wrote (shown in refusals). */
export interface ArgPattern {
  readonly re: RegExp;
  readonly text: string;
}

/** Arguments longer than this are refused before any pattern runs. */
export const MAX_EXEC_ARG_LENGTH = 4096;
/** Calls with more arguments than this are refused before any pattern runs. */
export const MAX_EXEC_ARGS = 256;

const SETTING = 'RUNNER_EXEC_ALLOW';
const ENTRY_FIELDS = new Set(['command', 'args', 'rest']);

/**
 * Parses RUNNER_EXEC_ALLOW: a JSON array of `{command, args?, rest?}`, `@<path>` of a file holding one, or
 * the old comma-separated command names (each then allowed with no arguments). Empty: exec is off.
 * Throws one clear line naming the bad entry (the config loader prefixes the setting's name).
 */
export function parseExecAllow(raw: string): ExecRule[] {
  const text = raw.trim();
  if (text === '') return [];
  if (text.startsWith('@')) {
    const path = text.slice(1);
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    return parseJson(content, path);
  }
  if (text.startsWith('[') || text.startsWith('{')) return parseJson(text, undefined);
  return text.split(',').map((name, i) => {
    const command = name.trim();
    if (command === '') throw new Error(`entry ${i + 1} is empty`);
    return { entry: i + 1, command, args: [], legacy: true };
  });
}

/** `file`: where the JSON came from, named in errors (absent: the setting's own value). */
function parseJson(text: string, file: string | undefined): ExecRule[] {
  const where = file === undefined ? '' : `${file}: `;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new Error(`${where}must be a JSON array of {command, args?, rest?}`);
  return value.map((entry: unknown, i) => parseEntry(entry, i + 1, `${where}entry ${i + 1}`));
}

function parseEntry(entry: unknown, index: number, where: string): ExecRule {
  if (!isPlainObject(entry)) throw new Error(`${where} must be an object {command, args?, rest?}`);
  const command = entry['command'];
  if (typeof command !== 'string' || command === '') throw new Error(`${where}: command must be a non-empty string`);
  const named = `${where} (${command})`;
  for (const key of Object.keys(entry))
    if (!ENTRY_FIELDS.has(key)) throw new Error(`${named}: unknown field ${JSON.stringify(key)}`);
  const args = entry['args'] ?? [];
  if (!Array.isArray(args)) throw new Error(`${named}: args must be an array of patterns`);
  const rest = entry['rest'];
  if (rest !== undefined && typeof rest !== 'string') throw new Error(`${named}: rest must be a pattern`);
  return {
    entry: index,
    command,
    args: args.map((p: unknown, i) => compile(p, `${named}: args[${i}]`)),
    ...(rest !== undefined ? { rest: compile(rest, `${named}: rest`) } : {}),
    legacy: false,
  };
}

/** Compiles a pattern anchored at both ends, so it must match the whole argument. */
function compile(pattern: unknown, where: string): ArgPattern {
  if (typeof pattern !== 'string') throw new Error(`${where} must be a string`);
  try {
    return { re: new RegExp(`^(?:${pattern})$`, 'u'), text: pattern };
  } catch (err) {
    throw new Error(`${where} is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Decides whether an exec payload's command and arguments are allowed. */
export class ExecPolicy {
  private readonly byCommand = new Map<string, ExecRule[]>();

  constructor(rules: readonly ExecRule[]) {
    for (const rule of rules) this.byCommand.set(rule.command, [...(this.byCommand.get(rule.command) ?? []), rule]);
  }

  get empty(): boolean {
    return this.byCommand.size === 0;
  }

  /** The problems with running `command` with `args`; empty when an entry allows it. */
  check(command: string, args: readonly string[]): string[] {
    const rules = this.byCommand.get(command);
    if (!rules) return [`payload.command ${JSON.stringify(command)} is not on this runner's allow-list (${SETTING})`];
    const refused = `payload.args are not allowed for ${JSON.stringify(command)} by ${SETTING}`;
    if (args.length > MAX_EXEC_ARGS)
      return [`${refused}: too many arguments (${args.length}, at most ${MAX_EXEC_ARGS})`];
    const long = args.findIndex((a) => a.length > MAX_EXEC_ARG_LENGTH);
    if (long >= 0) return [`${refused}: argument ${long + 1} is longer than ${MAX_EXEC_ARG_LENGTH} characters`];
    const reasons: string[] = [];
    for (const rule of rules) {
      const why = mismatch(rule, args);
      if (why === undefined) return [];
      reasons.push(why);
    }
    return [
      `${refused}: ${reasons.length === 1 ? reasons[0] : reasons.map((r, i) => `entry ${rules[i]?.entry ?? '?'}: ${r}`).join('; ')}`,
    ];
  }
}

/** Why `rule` does not accept `args`, or undefined when it does. */
function mismatch(rule: ExecRule, args: readonly string[]): string | undefined {
  if (!rule.rest && args.length !== rule.args.length)
    return rule.args.length === 0
      ? `takes no arguments, got ${args.length}`
      : `takes ${rule.args.length} arguments, got ${args.length}`;
  if (args.length < rule.args.length) return `takes at least ${rule.args.length} arguments, got ${args.length}`;
  for (let i = 0; i < args.length; i++) {
    const pattern = rule.args[i] ?? (rule.rest as ArgPattern);
    if (!pattern.re.test(args[i] as string))
      return `argument ${i + 1} ${quote(args[i] as string)} does not match ${pattern.text}`;
  }
  return undefined;
}

const quote = (arg: string): string => JSON.stringify(arg.length > 80 ? `${arg.slice(0, 80)}…` : arg);
