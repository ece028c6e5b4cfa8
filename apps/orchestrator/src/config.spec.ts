import { loadConfig } from '@mesh/config';
import { undocumentedSettings } from '@mesh/testing';
import { ORCHESTRATOR_SETTINGS } from './config';

describe('orchestrator settings', () => {
  it('when docs/configuration.md is read, it names every setting, flag and default of the orchestrator', () => {
    expect(undocumentedSettings(ORCHESTRATOR_SETTINGS)).toEqual([]);
  });

  it('when nothing is set, the defaults load', () => {
    expect(() => loadConfig(ORCHESTRATOR_SETTINGS, { env: {} })).not.toThrow();
  });
});
