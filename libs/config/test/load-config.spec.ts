import { ConfigError } from '@mesh/errors';
import {
  loadConfig,
  parseInteger,
  parseListenAddress,
  secretsOf,
  setting,
  SHARED_SETTINGS,
  TENANT_DOMAIN_MAP_SETTING,
  describeSettings,
} from '../src';
import { problemsOf } from './problems';

const SPEC = {
  ...SHARED_SETTINGS,
  listen: setting({
    env: 'TEST_LISTEN',
    flag: '--listen',
    default: ':9098',
    parse: parseListenAddress,
    doc: 'Where to listen.',
  }),
  tenantDomainMap: TENANT_DOMAIN_MAP_SETTING,
  concurrency: setting({ env: 'TEST_CONCURRENCY', default: '4', parse: parseInteger(1, 1000), doc: 'Parallel work.' }),
  token: setting({ env: 'TEST_TOKEN', secret: true, parse: (raw: string) => raw, doc: 'A bearer token.' }),
};

describe('loadConfig', () => {
  it('when nothing is set, every default applies and the result is frozen', () => {
    const config = loadConfig(SPEC, { env: {} });
    expect(config.listen).toEqual({ host: undefined, port: 9098 });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.streamPrefix).toBe('mesh');
    expect(config.logLevel).toBe('info');
    expect(config.tenantDomainMap.size).toBe(0);
    expect(config.concurrency).toBe(4);
    expect(config.token).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when the tenant map is given by env and flag, the flag wins', () => {
    const config = loadConfig(SPEC, {
      env: { MESH_TENANT_DOMAIN_MAP: 'a=env' },
      argv: ['--tenant-domain-map', 'a=flag,b=x'],
    });
    expect(config.tenantDomainMap.toString()).toBe('a=flag,b=x');
    const fromEnv = loadConfig(SPEC, { env: { MESH_TENANT_DOMAIN_MAP: 'a=env' }, argv: [] });
    expect(fromEnv.tenantDomainMap.toString()).toBe('a=env');
    expect(loadConfig(SPEC, { env: {}, argv: ['--listen=127.0.0.1:1'] }).listen).toEqual({
      host: '127.0.0.1',
      port: 1,
    });
  });

  it('when several settings are bad, one error lists every problem, each naming its variable or flag', () => {
    const problems = problemsOf(() =>
      loadConfig(SPEC, {
        env: { TEST_LISTEN: '9098', MESH_TENANT_DOMAIN_MAP: 'a=b,,a=c', TEST_CONCURRENCY: 'lots', LOG_LEVEL: 'loud' },
        argv: ['--bogus', 'x'],
      }),
    );
    expect(problems).toEqual([
      '--bogus: unknown flag',
      'unexpected argument "x"',
      'LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
      'TEST_LISTEN: "9098" is not host:port or :port',
      'MESH_TENANT_DOMAIN_MAP: entry 2 is empty, entry 3: duplicate tenant "a"',
      'TEST_CONCURRENCY: "lots" is not an integer',
    ]);
  });

  it('when the bad tenant map comes from the flag, the problem names the flag', () => {
    expect(problemsOf(() => loadConfig(SPEC, { env: {}, argv: ['--tenant-domain-map=x'] }))).toEqual([
      '--tenant-domain-map: entry 1 "x" is not tenant=domain',
    ]);
  });

  it('when a secret setting or the Redis URL is bad, the error never contains the value', () => {
    const spec = {
      ...SPEC,
      token: setting({
        env: 'TEST_TOKEN',
        secret: true,
        parse: (): string => {
          throw new Error('bad tok-SECRET');
        },
        doc: 'x',
      }),
    };
    const err = (() => {
      try {
        loadConfig(spec, { env: { TEST_TOKEN: 'tok-SECRET', REDIS_URL: 'redis:/:pw-SECRET@' } });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected failure');
    })();
    expect(err.message).not.toContain('SECRET');
    expect(err.details).toEqual(['REDIS_URL: has no host', 'TEST_TOKEN: is invalid']);
  });

  it('when a flag has no value or is repeated, it is refused', () => {
    expect(problemsOf(() => loadConfig(SPEC, { env: {}, argv: ['--listen'] }))).toEqual(['--listen: needs a value']);
    expect(problemsOf(() => loadConfig(SPEC, { env: {}, argv: ['--listen=:1', '--listen=:2'] }))).toEqual([
      '--listen: given twice',
    ]);
  });

  it('when a required setting is absent, it is named', () => {
    const spec = { id: setting({ env: 'TEST_ID', required: true, parse: (r: string) => r, doc: 'x' }) };
    expect(problemsOf(() => loadConfig(spec, { env: { TEST_ID: '' } }))).toEqual(['TEST_ID: is required']);
  });

  it('when the config holds a Redis password and a token, both are reported as secrets', () => {
    const config = loadConfig(SPEC, { env: { REDIS_URL: 'redis://:pw1@h:6379', TEST_TOKEN: 'tok2' } });
    expect(secretsOf(SPEC, config)).toEqual(['pw1', 'tok2']);
  });

  it('when settings are described, each env var, flag and default appears and secrets show no default', () => {
    const text = describeSettings(SPEC);
    expect(text).toContain('MESH_TENANT_DOMAIN_MAP, --tenant-domain-map (default: "")');
    expect(text).toContain('REDIS_URL (default: "redis://127.0.0.1:6379")');
    expect(text).toContain('TEST_TOKEN\n');
  });

  it('when a setting is named like a password, token or secret, its value is masked in logs and never echoed in errors', () => {
    const spec = {
      ...SHARED_SETTINGS,
      redisPassword: setting({ env: 'TEST_REDIS_PASSWORD', parse: (raw: string) => raw, doc: 'A password.' }),
      tokens: setting({
        env: 'TEST_API_TOKENS',
        parse: (raw: string) => {
          if (!raw.includes('=')) throw new Error(`${JSON.stringify(raw)} is not token=tenant`);
          return raw;
        },
        doc: 'Tokens.',
      }),
    };
    const config = loadConfig(spec, {
      env: { TEST_REDIS_PASSWORD: 'canary-pw-1', REDIS_URL: 'redis://h:1/0?password=canary-pw-2' },
    });
    expect(secretsOf(spec, config)).toEqual(expect.arrayContaining(['canary-pw-1', 'canary-pw-2']));
    const problems = problemsOf(() => loadConfig(spec, { env: { TEST_API_TOKENS: 'canary-tok-3' } }));
    expect(problems).toEqual(['TEST_API_TOKENS: is invalid']);
  });

  it('when REDIS_PASSWORD is set, it replaces the password of REDIS_URL exactly, whatever characters it holds', () => {
    const password = 'p/w?x#y%z%41@:!';
    const config = loadConfig(SPEC, {
      env: { REDIS_URL: 'redis://mesh@redis:6379/2?password=old-pw', REDIS_PASSWORD: password },
    });
    expect(config.redis.password).toBe(password);
    expect(config.redis.db).toBe(2);
    // The URL the services hand to the Redis client carries the password encoded; the client decodes it back.
    const url = new URL(config.redis.url);
    expect(url.username).toBe('mesh');
    expect(decodeURIComponent(url.password)).toBe(password);
    expect(url.searchParams.has('password')).toBe(false);
    expect(config.redis.display).toBe('redis://mesh:***@redis:6379/2');
    expect(secretsOf(SPEC, config)).toEqual(expect.arrayContaining([password, encodeURIComponent(password)]));
    const problems = problemsOf(() =>
      loadConfig(SPEC, { env: { REDIS_URL: 'redis://h:1/99', REDIS_PASSWORD: password } }),
    );
    expect(problems.join('\n')).not.toContain(password);
  });

  it('when REDIS_PASSWORD is unset or empty, the password of REDIS_URL stays', () => {
    for (const env of [{ REDIS_URL: 'redis://:pw-1@h:1' }, { REDIS_URL: 'redis://:pw-1@h:1', REDIS_PASSWORD: '' }])
      expect(loadConfig(SPEC, { env }).redis).toMatchObject({ url: 'redis://:pw-1@h:1', password: 'pw-1' });
  });

  it('when the password in REDIS_URL has a bad %-escape, start-up is refused in one line naming REDIS_URL, never the password', () => {
    const problems = problemsOf(() => loadConfig(SPEC, { env: { REDIS_URL: 'redis://:canary%zz-pw@h:1' } }));
    expect(problems).toEqual([expect.stringMatching(/^REDIS_URL: .*REDIS_PASSWORD/)]);
    expect(problems[0]).not.toMatch(/canary|\n/);
  });

  it('when a secret setting has secretsOf, only what it returns is redacted, not the words around it', () => {
    const spec = {
      ...SHARED_SETTINGS,
      tokens: setting({
        env: 'TEST_API_TOKENS',
        secret: true,
        parse: (raw: string) => raw.split(',').map((e) => e.split('=') as [string, string]),
        secretsOf: (entries: [string, string][]) => entries.map(([token]) => token),
        doc: 'token=tenant,…',
      }),
    };
    const config = loadConfig(spec, {
      env: { TEST_API_TOKENS: 'tok-canary-1=acme-corporation,tok-canary-2=/etc/mesh/tenants' },
    });
    const secrets = secretsOf(spec, config);
    expect(secrets).toEqual(expect.arrayContaining(['tok-canary-1', 'tok-canary-2']));
    expect(secrets).not.toContain('acme-corporation');
    expect(secrets).not.toContain('/etc/mesh/tenants');
  });

  it('when REDIS_URL names a database out of range, start-up is refused naming REDIS_URL without echoing the URL', () => {
    const problems = problemsOf(() => loadConfig(SPEC, { env: { REDIS_URL: 'redis://:canary-pw@h:1/99' } }));
    expect(problems).toEqual(['REDIS_URL: database 99 is out of range (0-15)']);
  });
});
