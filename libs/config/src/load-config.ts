import { ConfigError } from '@mesh/errors';
import type { ConfigOf, Setting, SettingSpec } from './setting';

export interface ConfigSource {
  /** Usually process.env; only main.ts reads it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Command-line arguments after the script name. */
  readonly argv?: readonly string[];
}

/**
 * Reads every setting of `spec` once: the flag wins over the env var, which wins over the default.
 * An empty env var counts as unset. All problems (bad values, missing required settings, unknown
 * flags) are collected and thrown together as one ConfigError; the result is frozen.
 */
export function loadConfig<S extends SettingSpec>(spec: S, source: ConfigSource): ConfigOf<S> {
  const problems: string[] = [];
  const flags = parseArgv(source.argv ?? [], spec, problems);
  const out: Record<string, unknown> = {};
  const secretTexts: RawSecret[] = [];

  for (const [key, setting] of Object.entries(spec)) {
    const fromFlag = setting.flag === undefined ? undefined : flags.get(setting.flag);
    const fromEnv = source.env[setting.env];
    const [raw, origin] =
      fromFlag !== undefined
        ? [fromFlag, setting.flag as string]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, setting.env]
          : [setting.default, setting.env];
    if (raw === undefined) {
      if (setting.required) problems.push(`${setting.env}: is required`);
      out[key] = undefined;
      continue;
    }
    if (isSecretSetting(setting) && raw !== setting.default) secretTexts.push({ raw, split: !setting.secretsOf });
    try {
      out[key] = setting.parse(raw);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.push(`${origin}: ${isSecretSetting(setting) ? 'is invalid' : message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const byEnv = new Map(Object.entries(spec).map(([key, setting]) => [setting.env, out[key]]));
  for (const [key, setting] of Object.entries(spec)) {
    if (!setting.resolve || out[key] === undefined) continue;
    try {
      out[key] = setting.resolve(out[key], (env) => byEnv.get(env));
    } catch (err) {
      // A value that does not fit the others (e.g. a database other than 0 with REDIS_CLUSTER_NODES).
      problems.push(`${setting.env}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = Object.freeze(out) as ConfigOf<S>;
  rawSecrets.set(config, secretTexts);
  return config;
}

/** Every secret value the loaded config holds, for the logger to redact. */
export function secretsOf<S extends SettingSpec>(spec: S, config: ConfigOf<S>): string[] {
  const secrets: string[] = [];
  for (const [key, setting] of Object.entries(spec)) {
    const value = (config as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (isSecretSetting(setting) && typeof value === 'string') secrets.push(value);
    if (setting.secretsOf) secrets.push(...setting.secretsOf(value));
  }
  // The text of every secret setting, whatever it parsed into. A setting without secretsOf is also split into
  // its parts, in case it holds several secrets; one with secretsOf says which parts are secret (a token map's
  // tokens, not its tenant names or file paths, which would otherwise be masked in every log line).
  for (const { raw, split } of rawSecrets.get(config) ?? []) {
    secrets.push(raw);
    if (split) secrets.push(...raw.split(/[\s,;=]+/).filter((p) => p.length >= 8));
  }
  return [...new Set(secrets.filter((s) => s.length > 0))];
}

/** The raw text of a secret setting as loaded, and whether secretsOf splits it into parts. */
interface RawSecret {
  readonly raw: string;
  readonly split: boolean;
}

/** The raw text of each loaded config's secret settings, for secretsOf. */
const rawSecrets = new WeakMap<object, readonly RawSecret[]>();

/** Names that say a setting holds a secret, whether or not it is declared `secret` (e.g. REDIS_PASSWORD). */
const SECRET_NAME = /(PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE_KEY|API_KEY)/i;

/** A setting whose value must never be echoed or logged: declared secret, or named like one. */
export function isSecretSetting(setting: Setting<unknown>): boolean {
  return setting.secret === true || SECRET_NAME.test(setting.env);
}

function parseArgv(argv: readonly string[], spec: SettingSpec, problems: string[]): Map<string, string> {
  const known = new Set(Object.values(spec).flatMap((s) => (s.flag ? [s.flag] : [])));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}`);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (!known.has(flag)) {
      problems.push(`${flag}: unknown flag`);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) value = argv[++i];
    if (value === undefined) problems.push(`${flag}: needs a value`);
    else if (flags.has(flag)) problems.push(`${flag}: given twice`);
    else flags.set(flag, value);
  }
  return flags;
}
