import { createServer } from 'node:net';
import type { RunRecord } from '@mesh/client';
import { MeshHarness } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';
import { formatHardware } from '../src/output/format';
import { runMesh, workflowFiles } from './support';

/** The built `mesh` command as a process against a real mesh: outputs, exit codes, one-line errors. */
const TOKEN = 'cli-test-admin-token-0123456789';
let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let env: Record<string, string>;
const files = workflowFiles();

beforeAll(async () => {
  ctx = createRedisTestContext('cli');
  mesh = new MeshHarness(ctx);
  // Tenant "lonely" runs in a domain without runners: its tasks wait.
  await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'lonely=nowhere' });
  await mesh.runner('runner-1', 'default');
  orchestrator = await mesh.orchestrator('orch-1', { MESH_API_TOKEN: TOKEN });
  env = {
    MESH_URL: `http://127.0.0.1:${orchestrator.port}`,
    MESH_TOKEN: TOKEN,
    MESH_WATCH_INTERVAL_MS: '100',
  };
});
afterAll(async () => {
  files.remove();
  await mesh.stopAll();
  await ctx.cleanup();
});

const mesh$ = (...args: string[]) => runMesh(args, env);
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const queuedId = (stdout: string) => /^queued run (\S+) of workflow/.exec(stdout)?.[1] as string;
const record = async (workflow: string, runId: string): Promise<RunRecord> => {
  const { code, stdout } = await mesh$('--json', 'run', workflow, runId);
  expect(code).toBe(0);
  return JSON.parse(stdout) as RunRecord;
};
const finalRecord = (workflow: string, runId: string) =>
  eventually(async () => {
    const r = await record(workflow, runId);
    return r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled' ? r : undefined;
  });

describe('mesh submit, mesh run', () => {
  it('when a workflow is submitted with --json, it prints the accepted run; mesh run shows its tasks with runner, hardware, output and error', async () => {
    const file = files.write('etl.json', {
      workflow: 'etl',
      tenant: 'acme',
      tasks: [
        { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
        { id: 'load', kind: 'fail', payload: { message: 'disk full' }, dependsOn: ['extract'] },
        { id: 'report', kind: 'echo', dependsOn: ['load'] },
      ],
    });
    const submitted = await mesh$('submit', file, '--json');
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    const accepted = JSON.parse(submitted.stdout) as { runId: string; workflow: string; status: string };
    expect(accepted).toMatchObject({ workflow: 'etl', status: 'queued' });

    const run = await finalRecord('etl', accepted.runId);
    expect(run.status).toBe('failed');
    const shown = await mesh$('run', 'etl', accepted.runId);
    expect(shown.code).toBe(0);
    const out = lines(shown.stdout);
    expect(out).toEqual(
      expect.arrayContaining([
        `run        ${accepted.runId}`,
        'status     failed (task load: disk full)',
        'tasks      1/3 succeeded, 1 failed, 1 skipped',
      ]),
    );
    const hardware = formatHardware(run.runners['runner-1']);
    expect(hardware).toMatch(/ · /);
    const tasks = out.slice(out.findIndex((l) => l.startsWith('TASK')));
    expect(tasks[0]).toMatch(/^TASK\s+KIND\s+STATUS\s+DOMAIN\s+RUNNER\s+HARDWARE$/);
    expect(tasks[1]).toMatch(
      new RegExp(`^extract\\s+echo\\s+succeeded\\s+default\\s+runner-1\\s+${escape(hardware)}$`),
    );
    expect(tasks[2]).toBe('  output: {"table":"orders"}');
    expect(tasks[3]).toMatch(new RegExp(`^load\\s+fail\\s+failed\\s+default\\s+runner-1\\s+${escape(hardware)}$`));
    expect(tasks[4]).toBe('  error: disk full');
    expect(tasks[5]).toMatch(/^report\s+echo\s+skipped\s+default\s+-\s+-$/);
    expect(tasks[6]).toBe('  error: dependency load failed');
  });

  it('when tasks wait (no runner in their domain, a dependency), mesh run says why', async () => {
    const file = files.write('lonely.json', {
      workflow: 'waits',
      tenant: 'lonely',
      tasks: [
        { id: 'first', kind: 'echo' },
        { id: 'second', kind: 'echo', dependsOn: ['first'] },
      ],
    });
    const runId = queuedId((await mesh$('submit', file)).stdout);
    await eventually(async () =>
      (await record('waits', runId)).tasks[0]?.waiting?.reason === 'no_runner' ? true : undefined,
    );
    const run = await record('waits', runId);
    const { stdout } = await mesh$('run', 'waits', runId);
    expect(stdout).toContain(`  waiting: ${run.tasks[0]?.waiting?.message}\n`);
    expect(run.tasks[0]?.waiting?.message).toMatch(/nowhere/);
    expect(stdout).toContain(`  waiting: ${run.tasks[1]?.waiting?.message}\n`);
    expect(run.tasks[1]?.waiting).toMatchObject({ reason: 'dependencies' });
  });
});

describe('mesh errors', () => {
  it('when the run does not exist, one line on stderr names it and the code, exit 1', async () => {
    expect(await mesh$('run', 'etl', 'no-such-run')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'mesh: no run "no-such-run" of workflow "etl" (MESH_NOT_FOUND)\n',
    });
  });

  it('when the token is wrong, one line says so without the token, exit 1; --json prints the error on stdout', async () => {
    const wrong = 'wrong-token-abcdefghijklmnop';
    const result = await runMesh(['--json', 'run', 'etl', 'x'], { ...env, MESH_TOKEN: wrong });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'mesh: a valid bearer token is required (check MESH_TOKEN or --token) (MESH_UNAUTHORIZED)\n',
    );
    expect(JSON.parse(result.stdout)).toEqual({
      error: { status: 401, code: 'MESH_UNAUTHORIZED', message: 'a valid bearer token is required' },
    });
    const flag = await runMesh(['run', 'etl', 'x', '--token', wrong], { MESH_URL: env['MESH_URL'] as string });
    expect(flag.stderr).toContain('(MESH_UNAUTHORIZED)');
    expect(flag.stderr + flag.stdout).not.toContain(wrong);
  });

  it('when nothing listens at the URL, one line names the URL and the reason, exit 1', async () => {
    const port = await closedPort();
    const result = await runMesh(['runs', '--url', `http://127.0.0.1:${port}`], { MESH_TOKEN: TOKEN });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `mesh: cannot reach http://127.0.0.1:${port}/runs: connect ECONNREFUSED 127.0.0.1:${port} (MESH_NETWORK)\n`,
    });
  });

  it('when the workflow file is missing or not JSON, one line says so, exit 2', async () => {
    expect(await mesh$('submit', '/nonexistent/wf.json')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'mesh: cannot read workflow file /nonexistent/wf.json: no such file (MESH_USAGE)\n',
    });
    const broken = files.write('broken.json', '{"workflow": ');
    const result = await mesh$('submit', broken);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`^mesh: workflow file ${escape(broken)} is not JSON: .+ \\(MESH_USAGE\\)\\n$`),
    );
  });

  it("when the workflow file is invalid, one line lists the server's problems, exit 1", async () => {
    const file = files.write('invalid.json', {
      workflow: 'bad name!',
      tenant: 'acme',
      tasks: [
        { id: 'a', kind: 'echo', dependsOn: ['ghost'] },
        { id: 'b', retries: 'many' },
      ],
    });
    const { code, stdout, stderr } = await mesh$('submit', file);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^mesh: .+: .*\/workflow.*; .*kind.*; .*ghost.* \(MESH_SUBMISSION_INVALID\)\n$/);
  });

  it('when the arguments are wrong, one line says what, exit 2', async () => {
    const unknown = await mesh$('frobnicate');
    expect(unknown).toMatchObject({ code: 2, stderr: "mesh: unknown command 'frobnicate' (MESH_USAGE)\n" });
    const missing = await mesh$('run', 'etl');
    expect(missing).toMatchObject({ code: 2, stderr: "mesh: missing required argument 'runId' (MESH_USAGE)\n" });
    const status = await mesh$('runs', '--status', 'sleeping');
    expect(status.code).toBe(2);
    expect(lines(status.stderr)).toHaveLength(1);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A port nothing listens on (it did a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
