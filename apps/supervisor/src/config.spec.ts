import { loadConfig } from '@mesh/config';
import { undocumentedSettings } from '@mesh/testing';
import { SUPERVISOR_SETTINGS } from './config';

describe('supervisor settings', () => {
  it('when docs/configuration.md is read, it names every setting, flag and default of the supervisor', () => {
    expect(undocumentedSettings(SUPERVISOR_SETTINGS)).toEqual([]);
  });

  it('when nothing is set, the defaults load', () => {
    expect(() => loadConfig(SUPERVISOR_SETTINGS, { env: {} })).not.toThrow();
  });
});
