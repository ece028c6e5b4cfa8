import { DEFAULT_MESH_URL, loadCliConfig } from './config';

describe('loadCliConfig', () => {
  it('when flags and the environment both say, the flags win; without either, the defaults hold', () => {
    const env = { MESH_URL: 'http://mesh.internal:9097', MESH_TOKEN: 'from-env' };
    expect(loadCliConfig(env, {})).toEqual({ url: env.MESH_URL, token: 'from-env', watchIntervalMs: 5000 });
    expect(loadCliConfig(env, { url: 'https://other', token: 'from-flag' })).toMatchObject({
      url: 'https://other',
      token: 'from-flag',
    });
    expect(loadCliConfig({}, {})).toEqual({ url: DEFAULT_MESH_URL, token: undefined, watchIntervalMs: 5000 });
  });

  it('when the URL or the interval is not usable, the error names the setting and the value', () => {
    expect(() => loadCliConfig({ MESH_URL: 'localhost:9097' }, {})).toThrow(
      'MESH_URL: "localhost:9097" is not an http(s) URL',
    );
    expect(() => loadCliConfig({}, { url: 'ftp://x' })).toThrow('--url: "ftp://x" is not an http(s) URL');
    expect(() => loadCliConfig({ MESH_WATCH_INTERVAL_MS: 'soon' }, {})).toThrow('MESH_WATCH_INTERVAL_MS: "soon"');
  });
});
