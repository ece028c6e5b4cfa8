/**
 * One setting of a service: where it is read from (an env var, optionally a CLI flag that wins over
 * it), its default, and how its text becomes a value. `parse` throws an Error whose message says
 * what is wrong; the loader prefixes it with the variable or flag name.
 */
export interface Setting<T> {
  readonly env: string;
  /** e.g. `--tenant-domain-map`; accepted as `--flag=value` or `--flag value`. */
  readonly flag?: string;
  /** The text used when neither env nor flag is given; absent means the value is optional (undefined). */
  readonly default?: string;
  /** How docs show the default when it depends on the machine (e.g. "the host name"). */
  readonly docDefault?: string;
  /** Start-up fails when neither env nor flag gives a value and there is no default. */
  readonly required?: boolean;
  /** Never echo the raw text in errors or docs (passwords, tokens). */
  readonly secret?: boolean;
  parse(raw: string): T;
  /**
   * Values that must never reach a log line (e.g. the password inside REDIS_URL). When given, only these
   * are redacted: the raw text of a secret setting is redacted whole, never split into words.
   */
  secretsOf?(value: T): readonly string[];
  /**
   * Adjusts the parsed value once every setting of the spec is read and valid, from the others (e.g. REDIS_URL
   * takes the password of REDIS_PASSWORD). `valueOf` gives another setting's parsed value by its env var name
   * (undefined when unset or not in the spec).
   */
  resolve?(value: T, valueOf: (env: string) => unknown): T;
  /** One line for the configuration reference. */
  readonly doc: string;
}

export type SettingSpec = Readonly<Record<string, Setting<unknown>>>;

type ValueOf<S extends Setting<unknown>> = S extends { default: string } | { required: true }
  ? ReturnType<S['parse']>
  : ReturnType<S['parse']> | undefined;

export type ConfigOf<S extends SettingSpec> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Declares a setting; the identity function, there for type inference. */
export function setting<T, const S extends Setting<T>>(spec: S & Setting<T>): S {
  return spec;
}
