import { MeshClient, type RunRecord } from '@mesh/client';
import { MeshHarness } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';
import { runCli } from '../src/cli';
import { runMesh, startMesh, workflowFiles, type CliResult } from './support';

/** The commands that follow, list, cancel and re-run runs, as a built process against a real mesh. */
const TOKEN = 'cli-live-admin-token-0123456789';
let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let env: Record<string, string>;
let client: MeshClient;
const files = workflowFiles();

beforeAll(async () => {
  ctx = createRedisTestContext('cli-live');
  mesh = new MeshHarness(ctx);
  // Tenant "held" runs in a domain without a runner until a test starts one: its runs wait for it.
  await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'held=held' });
  await mesh.runner('runner-1', 'default');
  orchestrator = await mesh.orchestrator('orch-1', { MESH_API_TOKEN: TOKEN });
  env = { MESH_URL: `http://127.0.0.1:${orchestrator.port}`, MESH_TOKEN: TOKEN, MESH_WATCH_INTERVAL_MS: '100' };
  client = new MeshClient({ baseUrl: env['MESH_URL'] as string, token: TOKEN });
});
afterAll(async () => {
  files.remove();
  await mesh.stopAll();
  await ctx.cleanup();
});

const mesh$ = (...args: string[]) => runMesh(args, env);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const queuedId = (stdout: string) => /^queued run (\S+) of workflow/.exec(stdout)?.[1] as string;
const ended = (r: RunRecord) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';
const until = (workflow: string, runId: string, done: (r: RunRecord) => boolean) =>
  eventually(async () => {
    const run = await client.get(workflow, runId);
    return done(run) ? run : undefined;
  });
const workflow = (name: string, tasks: unknown[], tenant = 'acme') =>
  files.write(`${name}-${tasks.length}-${tenant}.json`, { workflow: name, tenant, tasks });
const TWO_STEPS = [
  { id: 'a', kind: 'sleep', payload: { ms: 1000 } },
  { id: 'b', kind: 'echo', dependsOn: ['a'] },
];

describe('mesh submit --watch', () => {
  it('when the run succeeds, it prints the queued run, progress lines and the outcome, and exits 0', async () => {
    const { code, stdout, stderr } = await mesh$('submit', workflow('watched', TWO_STEPS), '--watch');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = lines(stdout);
    const runId = queuedId(stdout);
    expect(out[0]).toBe(`queued run ${runId} of workflow watched`);
    // Not a terminal: plain progress lines (every MESH_WATCH_INTERVAL_MS, here 100 ms, over the 1 s sleep).
    expect(out.filter((l) => l.startsWith(`run ${runId} running: `)).length).toBeGreaterThanOrEqual(2);
    expect(out[out.length - 1]).toMatch(new RegExp(`^run ${runId} succeeded after [\\d.ms]+: 2/2 succeeded$`));
  });

  it('when the run fails, it prints the error and exits 3; with --json, only the final record', async () => {
    const file = workflow('doomed', [{ id: 'only', kind: 'fail', payload: { message: 'quota exceeded' } }]);
    const text = await mesh$('submit', file, '--watch');
    expect(text.code).toBe(3);
    expect(lines(text.stdout).slice(-2)).toEqual([
      expect.stringMatching(/ failed after .*: 0\/1 succeeded, 1 failed$/),
      'error: task only: quota exceeded',
    ]);
    const json = await mesh$('submit', file, '--watch', '--json');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ workflow: 'doomed', status: 'failed', tasks: [{ id: 'only' }] });
  });

  it('when the watched run is cancelled, it exits 4', async () => {
    const watching = startMesh(
      ['submit', workflow('watch-cancel', [{ id: 'long', kind: 'sleep', payload: { ms: 60_000 } }]), '--watch'],
      env,
    );
    const runId = await eventually(() => queuedId(watching.stdout()) || undefined);
    await until('watch-cancel', runId, (r) => r.status === 'running');
    await client.cancel('watch-cancel', runId);
    const { code, stdout } = await watching.result;
    expect(code).toBe(4);
    // The outcome is the last line (progress lines before it may say cancelled too).
    expect(
      lines(stdout)
        .filter((l) => l.startsWith(`run ${runId} cancelled`))
        .pop(),
    ).toMatch(/ after .*: 0\/1 succeeded, 1 cancelled$/);
  });

  it('when its output is a terminal, it draws a progress bar in place and ends it with the totals', async () => {
    const out: string[] = [];
    const code = await runCli(['submit', workflow('tty', TWO_STEPS), '--watch'], {
      stdout: { write: (s: string) => out.push(s), isTTY: true },
      stderr: { write: (s: string) => out.push(`stderr: ${s}`) },
      env,
      now: Date.now,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    const text = out.join('');
    expect(text).toContain('\r\x1b[2K[');
    expect(text).toMatch(/\r\x1b\[2K\[█{24}\] 2\/2 done · 0 failed · 0 running · [\d.ms]+\n/);
    expect(text).not.toContain('stderr:');
  });
  it('when interrupted (Ctrl-C) while watching, it stops with 130 and says the run goes on', async () => {
    const interrupt = new AbortController();
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['submit', workflow('interrupted', [{ id: 'long', kind: 'sleep', payload: { ms: 60_000 } }]), '--watch'],
      {
        stdout: {
          write: (s: string) => {
            out.push(s);
            // The first progress line: the run is being watched.
            if (s.startsWith('run ')) interrupt.abort();
          },
        },
        stderr: { write: (s: string) => err.push(s) },
        env,
        now: Date.now,
        signal: interrupt.signal,
      },
    );
    expect(code).toBe(130);
    const runId = queuedId(out.join(''));
    expect(err.join('')).toBe(`mesh: stopped watching run ${runId}; it goes on (mesh run interrupted ${runId})\n`);
    expect((await client.get('interrupted', runId)).status).not.toBe('cancelled');
    await client.cancel('interrupted', runId);
  });
});

describe('mesh runs', () => {
  it('when runs exist, it prints them as a table, filters them, and --json prints the page', async () => {
    const ids: string[] = [];
    for (const tenant of ['east', 'west'])
      ids.push(queuedId((await mesh$('submit', workflow('tabled', [{ id: 't', kind: 'echo' }], tenant))).stdout));
    for (const id of ids) await until('tabled', id, ended);
    const table = await mesh$('runs', '--workflow', 'tabled');
    expect(table.code).toBe(0);
    const out = lines(table.stdout);
    expect(out[0]).toMatch(/^RUN\s+WORKFLOW\s+TENANT\s+STATUS\s+TASKS\s+SUBMITTED\s+DURATION$/);
    expect(out.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual([
      [ids[1], 'tabled', 'west', 'succeeded', '1/1'],
      [ids[0], 'tabled', 'east', 'succeeded', '1/1'],
    ]);
    const east = JSON.parse((await mesh$('--json', 'runs', '--tenant', 'east', '--since', '1h')).stdout) as {
      runs: Array<{ runId: string }>;
      nextCursor: string | null;
    };
    expect(east).toEqual({ runs: [expect.objectContaining({ runId: ids[0], tenant: 'east' })], nextCursor: null });
    expect((await mesh$('runs', '--tenant', 'nobody')).stdout).toBe('no runs\n');
  });
});

describe('mesh cancel, rerun, tail', () => {
  it('when a run is cancelled, it says so and exits 0; cancelling it again is one line with MESH_RUN_FINISHED, exit 1', async () => {
    const runId = queuedId(
      (await mesh$('submit', workflow('stop-me', [{ id: 'long', kind: 'sleep', payload: { ms: 60_000 } }]))).stdout,
    );
    await until('stop-me', runId, (r) => r.status === 'running');
    const first = await mesh$('cancel', 'stop-me', runId);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(new RegExp(`^run ${runId} of workflow stop-me cancelled: `));
    const again = await mesh$('cancel', 'stop-me', runId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^mesh: .+ \(MESH_RUN_FINISHED\)\n$/);
  });

  it('when a failed run is re-run with --watch, the new run reuses what succeeded, fails again and exits 3', async () => {
    const file = workflow('redo', [
      { id: 'ok', kind: 'echo', payload: { n: 1 } },
      { id: 'bad', kind: 'fail', payload: { message: 'still down' }, dependsOn: ['ok'] },
    ]);
    const old = queuedId((await mesh$('submit', file)).stdout);
    await until('redo', old, ended);
    const result = await mesh$('rerun', 'redo', old, '--watch');
    expect(result.code).toBe(3);
    const fresh = queuedId(result.stdout);
    expect(lines(result.stdout)[0]).toBe(`queued run ${fresh} of workflow redo, re-running ${old}`);
    const shown = await mesh$('run', 'redo', fresh);
    expect(shown.stdout).toContain(`re-runs    ${old}\n`);
    expect(shown.stdout).toContain('  output: {"n":1} (reused)\n');
    const running = queuedId(
      (await mesh$('submit', workflow('redo', [{ id: 's', kind: 'sleep', payload: { ms: 60_000 } }]))).stdout,
    );
    const refused = await mesh$('rerun', 'redo', running);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^mesh: .+ \(MESH_RUN_NOT_FINISHED\)\n$/);
    await client.cancel('redo', running);
  });

  it('when a run is tailed, it prints the run, each change, then the outcome, and exits by it; --json is one event a line', async () => {
    const runId = queuedId((await mesh$('submit', workflow('tailed', TWO_STEPS, 'held'))).stdout);
    const textTail = startMesh(['tail', 'tailed', runId], env);
    const jsonTail = startMesh(['tail', 'tailed', runId, '--json'], env);
    await eventually(() => (textTail.stdout() !== '' && jsonTail.stdout() !== '' ? true : undefined));
    // Its tasks run only now, while both are tailing: every change comes over their streams.
    await mesh.runner('runner-held', 'held');
    const [text, json] = await Promise.all([textTail.result, jsonTail.result]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    const out = lines(text.stdout);
    expect(out[0]).toMatch(new RegExp(`^run ${runId} (queued|running): 0/2 succeeded, `));
    expect(out).toContainEqual(
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3}  task-started\s+a  runner runner-held  attempt 1$/),
    );
    expect(out).toContainEqual(
      expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3}  task-succeeded\s+b  runner runner-held  attempt 1$/),
    );
    expect(out[out.length - 1]).toMatch(new RegExp(`^run ${runId} succeeded after .*: 2/2 succeeded$`));
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const events = lines(json.stdout).map((l) => JSON.parse(l) as { type: string });
    expect(events[0]).toMatchObject({ type: 'snapshot', record: { runId, counts: { succeeded: 0 } } });
    expect(events[events.length - 1]).toMatchObject({ type: 'end', record: { runId, status: 'succeeded' } });
    expect(events.filter((e) => e.type === 'change').length).toBeGreaterThan(0);
  });

  it('when the run to tail does not exist, one line says so, exit 1', async () => {
    const result: CliResult = await mesh$('tail', 'tailed', 'nope');
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mesh: no run "nope" of workflow "tailed" (MESH_NOT_FOUND)\n',
    });
  });
});
