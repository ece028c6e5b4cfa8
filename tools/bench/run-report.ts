/**
 * What the reports of every bench mode share: the facts about this machine, for `--scaling` and
 * `--cluster` also the Redis, the load averages and the code measured, and writing the JSON report
 * while printing its text.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname } from 'node:path';
import type { RedisFacts } from './redis-host';
import type { ScalingMachine } from './scaling-report';

/** This machine's cores, memory, OS and Node; `cpuList` is what cpus() gave. */
export function hostFacts(cpuList: ReturnType<typeof cpus> = cpus()) {
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
  };
}

/** `git rev-parse --short HEAD` in `root`, marked when apps/ or libs/ differ from it. */
export function commitOf(root: string): string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=all', '--', 'apps', 'libs') !== '';
    return dirty ? `${commit} (+ uncommitted changes in apps/ or libs/)` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * The head of a mode's report at its end: when, and the machine: the host, the Redis of `facts`,
 * the load averages from `loadStart` (loadavg() when it started) to now, and the code in `root`.
 */
export function modeReportHead(
  facts: RedisFacts,
  loadStart: readonly number[],
  root: string,
  cpuList: ReturnType<typeof cpus> = cpus(),
): { readonly generatedAt: string; readonly machine: ScalingMachine } {
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      ...hostFacts(cpuList),
      redisVersion: facts.version,
      redisPid: facts.pid ?? null,
      loadAverage: { start: loadStart, end: loadavg() },
      commit: commitOf(root),
    },
  };
}

/** Writes `report` as JSON to `out` (making its folder), then prints it as `format` gives it, and where the JSON went. */
export function writeReport<R>(out: string, report: R, format: (report: R) => string): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${format(report)}\n\nJSON report: ${out}\n`);
}
