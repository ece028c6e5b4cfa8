import { loadConfig } from '@mesh/config';
import { undocumentedSettings } from '@mesh/testing';
import { ENV_RUNNER_SETTINGS } from './config';

describe('env-runner settings', () => {
  it('when docs/configuration.md is read, it names every setting, flag and default of the env-runner', () => {
    expect(undocumentedSettings(ENV_RUNNER_SETTINGS)).toEqual([]);
  });

  it('when nothing is set, the defaults load', () => {
    expect(() => loadConfig(ENV_RUNNER_SETTINGS, { env: {} })).not.toThrow();
  });
});
