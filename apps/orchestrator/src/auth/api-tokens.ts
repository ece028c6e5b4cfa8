import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '@mesh/errors';
import { isMeshName } from '@mesh/mesh-protocol';

/** The shortest token accepted (MESH_API_TOKEN and every MESH_API_TOKENS entry). */
export const MIN_TOKEN_LENGTH = 16;

/** In MESH_API_TOKENS, this tenant makes a token an admin token. */
export const ADMIN_TENANT = '*';

/** Who a request acts as: an admin (every tenant) or one tenant. */
export type Principal = { readonly kind: 'admin' } | { readonly kind: 'tenant'; readonly tenant: string };

export interface TokenEntry {
  readonly token: string;
  readonly principal: Principal;
}

/** Why a token is refused, without its text (errors must never echo a secret). */
export function tokenProblem(token: string): string | undefined {
  if (token.length < MIN_TOKEN_LENGTH) return `must be at least ${MIN_TOKEN_LENGTH} characters`;
  if (/\s/.test(token)) return 'must not contain white space';
  return undefined;
}

/** MESH_API_TOKEN: the admin token. */
export function parseAdminToken(raw: string): string {
  const problem = tokenProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

/** MESH_API_TOKENS as read: its valid entries, what is wrong with it, and every text in it that is secret. */
export interface TenantTokens {
  readonly entries: readonly TokenEntry[];
  /** Every problem, entries named by position; undefined when there is none. */
  readonly problem: string | undefined;
  /** The token of every entry, valid or not (for the logger to mask, including tokens read from a file). */
  readonly secrets: readonly string[];
}

/**
 * MESH_API_TOKENS: `token=tenant,token=tenant,…`, or `@/path/to/file` holding the same entries, one or
 * more a line (`#` starts a comment). A tenant is a Mesh name, or `*` for an admin token. Never throws,
 * so that the secrets of a bad value are still known; problems name entries by position, never by token.
 */
export function readTenantTokens(raw: string): TenantTokens {
  let text = raw;
  let where = 'entry';
  if (raw.startsWith('@')) {
    const path = raw.slice(1);
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return { entries: [], problem: `cannot read ${JSON.stringify(path)} (${code})`, secrets: [] };
    }
    where = `${path}: entry`;
  }
  const items = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return { entries: [], problem: 'has no token=tenant entry', secrets: [] };
  const problems: string[] = [];
  const secrets: string[] = [];
  const seen = new Set<string>();
  const entries = items.flatMap((item, i): TokenEntry[] => {
    const eq = item.lastIndexOf('=');
    const token = eq < 0 ? item : item.slice(0, eq).trim();
    const tenant = eq < 0 ? '' : item.slice(eq + 1).trim();
    secrets.push(token);
    const bad =
      eq < 0
        ? 'is not token=tenant'
        : tokenProblem(token)
          ? `token ${tokenProblem(token)}`
          : tenant !== ADMIN_TENANT && !isMeshName(tenant)
            ? // Not echoed: a token written in the wrong place would land in the error.
              'has a tenant that is not a name (letters, digits, "_", "." and "-", at most 64) nor "*"'
            : seen.has(token)
              ? 'repeats a token'
              : undefined;
    seen.add(token);
    if (bad) {
      problems.push(`${where} ${i + 1} ${bad}`);
      return [];
    }
    return [{ token, principal: tenant === ADMIN_TENANT ? { kind: 'admin' } : { kind: 'tenant', tenant } }];
  });
  return {
    entries: Object.freeze(entries),
    problem: problems.length > 0 ? problems.join('; ') : undefined,
    secrets: secrets.filter((t) => t !== ''),
  };
}

/** MESH_API_TOKENS' entries; throws an Error stating every problem (never a token) when there is one. */
export function parseTenantTokens(raw: string): readonly TokenEntry[] {
  const read = readTenantTokens(raw);
  if (read.problem !== undefined) throw new Error(read.problem);
  return read.entries;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The configured tokens, kept as SHA-256 digests. A presented token is compared with every one of them
 * with timingSafeEqual over the fixed-length digests, without stopping at a match, so neither which token
 * matched nor any token's content or length shows in the time taken.
 */
export class ApiTokens {
  private readonly entries: ReadonlyArray<{ digest: Buffer; principal: Principal }>;

  constructor(entries: readonly TokenEntry[]) {
    this.entries = entries.map((e) => ({ digest: digest(e.token), principal: e.principal }));
  }

  /**
   * From the settings: MESH_API_TOKEN (the admin token) and MESH_API_TOKENS. Every problem of both is
   * reported in one ConfigError (start-up refused, exit 2) that states the rule and never a token.
   */
  static fromConfig(config: { apiToken?: string | undefined; apiTokens?: TenantTokens | undefined }): ApiTokens {
    const problems: string[] = [];
    const entries: TokenEntry[] = [];
    const read = (env: string, parse: () => readonly TokenEntry[]): void => {
      try {
        entries.push(...parse());
      } catch (err) {
        problems.push(`${env}: ${(err as Error).message}`);
      }
    };
    if (config.apiToken !== undefined)
      read('MESH_API_TOKEN', () => [
        { token: parseAdminToken(config.apiToken as string), principal: { kind: 'admin' } },
      ]);
    const tenants = config.apiTokens;
    if (tenants !== undefined)
      read('MESH_API_TOKENS', () => {
        if (tenants.problem !== undefined) throw new Error(tenants.problem);
        return tenants.entries;
      });
    if (problems.length > 0) throw new ConfigError(problems);
    return new ApiTokens(entries);
  }

  /**
   * Secret material shared by every orchestrator with the same tokens (their digests, sorted): what the
   * list cursors' key is derived from. Empty when no token is configured (then there are no tenants).
   */
  get keyMaterial(): Buffer {
    return Buffer.concat(this.entries.map((e) => e.digest).sort(Buffer.compare));
  }

  /** False when no token is configured: the API is open, and must then listen on loopback only. */
  get configured(): boolean {
    return this.entries.length > 0;
  }

  /** Who `presented` acts as, or undefined for an unknown token. */
  principalOf(presented: string): Principal | undefined {
    const given = digest(presented);
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(given, e.digest) && found === undefined) found = e.principal;
    }
    return found;
  }
}
