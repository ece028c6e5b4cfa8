import { spawnSync } from 'node:child_process';

/** Runs `promtool check metrics` on an exposition; resolves to its complaints ('' when clean). */
export function checkMetrics(exposition: string): string {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool is required (Debian package "prometheus"): ${result.error.message}`);
  return `${result.status === 0 ? '' : `exit ${result.status}: `}${result.stdout}${result.stderr}`.trim();
}
