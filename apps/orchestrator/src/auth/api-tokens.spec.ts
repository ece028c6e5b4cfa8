import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, secretsOf } from '@mesh/config';
import { ConfigError } from '@mesh/errors';
import { ORCHESTRATOR_SETTINGS } from '../config';
import { ApiTokens, parseTenantTokens } from './api-tokens';

const A = 'acme-token-0123456789';
const B = 'globex-token-0123456789';
const ADMIN = 'admin-token-0123456789';

describe('API tokens', () => {
  it('when MESH_API_TOKENS maps tokens to tenants, each token acts as its tenant, "*" as admin, anything else as nobody', () => {
    const tokens = new ApiTokens(parseTenantTokens(` ${A}=acme, ${B}=globex,${ADMIN}=* `));
    expect(tokens.principalOf(A)).toEqual({ kind: 'tenant', tenant: 'acme' });
    expect(tokens.principalOf(B)).toEqual({ kind: 'tenant', tenant: 'globex' });
    expect(tokens.principalOf(ADMIN)).toEqual({ kind: 'admin' });
    for (const other of ['', 'acme', `${A}x`, A.slice(0, -1), A.toUpperCase()])
      expect(tokens.principalOf(other)).toBeUndefined();
  });

  it('when the tokens are in a file, its entries are read, one or more a line, with comments', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-tokens-')), 'tokens');
    writeFileSync(file, `# tenants\n${A}=acme\n${B}=globex, ${ADMIN}=*  # ops\n`);
    expect(parseTenantTokens(`@${file}`).map((e) => e.principal)).toEqual([
      { kind: 'tenant', tenant: 'acme' },
      { kind: 'tenant', tenant: 'globex' },
      { kind: 'admin' },
    ]);
  });

  it('when entries are bad, every problem is named by position and no token text appears', () => {
    const raw = `short=acme,${A}=acme,${A}=globex,${B}=not a tenant,${ADMIN}`;
    let message = '';
    try {
      parseTenantTokens(raw);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'entry 1 token must be at least 16 characters; entry 3 repeats a token; entry 4 has a tenant that is not a name (letters, digits, "_", "." and "-", at most 64) nor "*"; entry 5 is not token=tenant',
    );
    for (const secret of ['short', A, B, ADMIN]) expect(message).not.toContain(secret);
  });

  it('when MESH_API_TOKEN or MESH_API_TOKENS breaks a rule, start-up says the rule, not only "is invalid", and never the value', () => {
    const config = loadConfig(ORCHESTRATOR_SETTINGS, {
      env: { MESH_API_TOKEN: 'short', MESH_API_TOKENS: 'tiny=acme' },
    });
    let message = '';
    try {
      ApiTokens.fromConfig(config);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toBe(
      'invalid configuration: MESH_API_TOKEN: must be at least 16 characters; MESH_API_TOKENS: entry 1 token must be at least 16 characters',
    );
    expect(message).not.toMatch(/short|tiny/);
  });

  it('when both are set, MESH_API_TOKEN is an admin token beside the tenant tokens, and both are secrets for the logger', () => {
    const config = loadConfig(ORCHESTRATOR_SETTINGS, { env: { MESH_API_TOKEN: ADMIN, MESH_API_TOKENS: `${A}=acme` } });
    const tokens = ApiTokens.fromConfig(config);
    expect([tokens.principalOf(ADMIN), tokens.principalOf(A)]).toEqual([
      { kind: 'admin' },
      { kind: 'tenant', tenant: 'acme' },
    ]);
    expect(ApiTokens.fromConfig(loadConfig(ORCHESTRATOR_SETTINGS, { env: {} })).configured).toBe(false);
  });
});

describe('API tokens as secrets', () => {
  it('when tokens come from a file, valid or not, the logger is given every one of them to mask', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-tokens-')), 'tokens');
    writeFileSync(file, `${A}=acme\nshort-but-secret=acme\n`);
    const config = loadConfig(ORCHESTRATOR_SETTINGS, { env: { MESH_API_TOKENS: `@${file}`, MESH_API_TOKEN: ADMIN } });
    expect(secretsOf(ORCHESTRATOR_SETTINGS, config)).toEqual(expect.arrayContaining([A, 'short-but-secret', ADMIN]));
  });
});
