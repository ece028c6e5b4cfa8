import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Assignment } from '@mesh/mesh-protocol';
import { createExecHandler } from './exec';
import { parseExecAllow } from './exec-policy';
import { TaskFailure } from './handler';

const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
// Each command with the arguments these tests pass; see exec-policy.spec.ts for the allow-list itself.
const allow = parseExecAllow(
  JSON.stringify([
    { command: 'echo', rest: '.*' },
    { command: 'sh', args: ['-c', '.+'] },
    { command: 'env' },
    { command: 'head', args: ['-c', '\\d+', '/dev/zero'] },
  ]),
);
const exec = createExecHandler({ allow, outputLimitBytes: 1024, env });
const ctx = (signal = new AbortController().signal) => ({ signal, assignment: {} as Assignment, timeoutMs: 5000 });

describe('exec task', () => {
  it('when the command is not on the allow-list, the payload is refused naming RUNNER_EXEC_ALLOW', () => {
    expect(exec.validate?.({ command: 'rm', args: ['-rf', '/'] })).toEqual([
      'payload.command "rm" is not on this runner\'s allow-list (RUNNER_EXEC_ALLOW)',
    ]);
    expect(exec.validate?.({ command: '/bin/echo', args: [] })).toHaveLength(1);
    expect(exec.validate?.({ command: 'echo', args: 'hi' })).toEqual(['payload.args must be an array of strings']);
    expect(exec.validate?.({ command: 'echo', args: ['hi'] })).toEqual([]);
  });

  it('when the command is allowed but an argument is not, the payload is refused naming the argument and pattern', () => {
    expect(exec.validate?.({ command: 'head', args: ['-n', '1', '/etc/shadow'] })).toEqual([
      'payload.args are not allowed for "head" by RUNNER_EXEC_ALLOW: argument 1 "-n" does not match -c',
    ]);
    expect(exec.validate?.({ command: 'env', args: ['sh', '-c', 'id'] })).toEqual([
      'payload.args are not allowed for "env" by RUNNER_EXEC_ALLOW: takes no arguments, got 3',
    ]);
  });

  it('when an argument holds shell syntax, it is passed literally and nothing else runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-exec-'));
    const canary = join(dir, 'canary');
    writeFileSync(canary, 'alive');
    const arg = `hello; rm -rf ${canary}; echo $HOME \`id\``;
    const out = (await exec.run({ command: 'echo', args: [arg] }, ctx())) as { stdout: string; exitCode: number };
    expect(out.stdout).toBe(`${arg}\n`);
    expect(out.exitCode).toBe(0);
    expect(existsSync(canary)).toBe(true);
  });

  it('when the command runs, its environment is only what the runner passes on (no secrets)', async () => {
    const out = (await exec.run({ command: 'env', args: [] }, ctx())) as { stdout: string };
    expect(
      out.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0]),
    ).toEqual(['PATH']);
  });

  it('when output passes the cap, it is cut at the cap and flagged', async () => {
    const out = (await exec.run({ command: 'head', args: ['-c', '5000', '/dev/zero'] }, ctx())) as {
      stdout: string;
      stdoutTruncated: boolean;
      stderrTruncated: boolean;
    };
    expect(out.stdout).toHaveLength(1024);
    expect([out.stdoutTruncated, out.stderrTruncated]).toEqual([true, false]);
  });

  it('when the command exits non-zero, the task fails with the code and keeps stderr', async () => {
    const err = await exec
      .run({ command: 'sh', args: ['-c', 'echo oops >&2; exit 3'] }, ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailure);
    expect((err as TaskFailure).message).toBe('sh exited with code 3');
    expect((err as TaskFailure).output).toMatchObject({ exitCode: 3, stderr: 'oops\n' });
  });

  it('when the task is aborted, the whole process group is killed, children included', async () => {
    const controller = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'mesh-exec-'));
    const pidFile = join(dir, 'pid');
    const running = exec.run(
      { command: 'sh', args: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`] },
      ctx(controller.signal),
    );
    const pid = await (async () => {
      for (let i = 0; i < 500; i++) {
        if (existsSync(pidFile)) {
          const text = readFileSync(pidFile, 'utf8').trim();
          if (text) return Number(text);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('child never started');
    })();
    controller.abort(new Error('timed out'));
    await expect(running).rejects.toThrow('timed out');
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive()).toBe(false);
  });

  it('when an allowed argument holds a NUL byte, the task fails and nothing runs', async () => {
    await expect(exec.run({ command: 'echo', args: ['a\u0000b'] }, ctx())).rejects.toThrow(/null bytes/);
  });

  it('when the command does not exist, the task fails clearly', async () => {
    const missing = createExecHandler({ allow: parseExecAllow('no-such-command-xyz'), outputLimitBytes: 1024, env });
    await expect(missing.run({ command: 'no-such-command-xyz', args: [] }, ctx())).rejects.toThrow(
      'cannot run no-such-command-xyz: ENOENT',
    );
  });
});
