import { ConfigError } from '@mesh/errors';

/** The problems of the ConfigError `fn` throws; fails the test when it throws none. */
export function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.details;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
