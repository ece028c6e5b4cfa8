import { isSecretSetting } from './load-config';
import type { SettingSpec } from './setting';

/** A readable list of settings for `--help` and the configuration reference. */
export function describeSettings(spec: SettingSpec): string {
  return Object.values(spec)
    .map((s) => {
      const names = s.flag ? `${s.env}, ${s.flag}` : s.env;
      const def = s.docDefault
        ? ` (default: ${s.docDefault})`
        : s.default === undefined
          ? s.required
            ? ' (required)'
            : ''
          : isSecretSetting(s)
            ? ''
            : ` (default: ${JSON.stringify(s.default)})`;
      return `  ${names}${def}\n      ${s.doc}`;
    })
    .join('\n');
}
