import { MeshHarness } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';
import { MeshApiError, MeshClient, type RunRecord, type WorkflowRequest } from '../src';

/** The client against the real orchestrator, supervisor and runner, built, on the test's own key prefix. */
const TOKEN = 'client-test-admin-token-0123456789';
let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let client: MeshClient;
let baseUrl: string;

beforeAll(async () => {
  ctx = createRedisTestContext('client');
  mesh = new MeshHarness(ctx);
  await mesh.supervisor('sup-1');
  await mesh.runner('runner-1', 'default');
  orchestrator = await mesh.orchestrator('orch-1', { MESH_API_TOKEN: TOKEN });
  baseUrl = `http://127.0.0.1:${orchestrator.port}`;
  client = new MeshClient({ baseUrl, token: TOKEN });
});
afterAll(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
});

const ended = (r: RunRecord) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';
const finalRecord = (workflow: string, runId: string) =>
  eventually(async () => {
    const run = await client.get(workflow, runId);
    return ended(run) ? run : undefined;
  });
const request = (workflow: string, tasks: WorkflowRequest['tasks']): WorkflowRequest => ({
  workflow,
  tenant: 'acme',
  tasks,
});

describe('MeshClient against the orchestrator', () => {
  it('when a workflow is submitted, the run can be read with its tasks and listed in its workflow', async () => {
    const accepted = await client.submit(
      request('etl', [
        { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
        { id: 'load', kind: 'echo', dependsOn: ['extract'] },
      ]),
    );
    expect(accepted).toMatchObject({
      workflow: 'etl',
      status: 'queued',
      links: { run: `/workflows/etl/runs/${accepted.runId}` },
    });
    const run = await finalRecord('etl', accepted.runId);
    expect(run).toMatchObject({ runId: accepted.runId, status: 'succeeded', tenant: 'acme', counts: { succeeded: 2 } });
    expect(run.tasks.map((t) => [t.id, t.status, t.runnerId, t.output])).toEqual([
      ['extract', 'succeeded', 'runner-1', { table: 'orders' }],
      ['load', 'succeeded', 'runner-1', null],
    ]);
    expect(run.runners['runner-1']).toMatchObject({ runnerId: 'runner-1', cpu: expect.any(Object) });
    const page = await client.listWorkflow('etl');
    expect(page.runs.map((r) => r.runId)).toContain(accepted.runId);
  });

  it('when the same idempotency key is sent twice, the same run comes back', async () => {
    const body = request('idem', [{ id: 'a', kind: 'echo' }]);
    const first = await client.submit(body, { idempotencyKey: 'order-7' });
    const second = await client.submit(body, { idempotencyKey: 'order-7' });
    expect(second.runId).toBe(first.runId);
  });

  it('when a submission is invalid, MeshApiError carries the 400, its code and every problem', async () => {
    const err = await client
      .submit(
        request('bad', [
          { id: 'a', kind: 'echo', dependsOn: ['b'] },
          { id: 'b', kind: 'echo', dependsOn: ['a'] },
          { id: 'c' } as never,
        ]),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshApiError);
    expect(err).toMatchObject({ status: 400, code: 'MESH_SUBMISSION_INVALID' });
    const details = (err as MeshApiError).details.join('\n');
    expect(details).toMatch(/kind/);
    expect(details).toMatch(/cycle/);
  });

  it('when the token is wrong or the run unknown, the error has the status and code of the server', async () => {
    const stranger = new MeshClient({ baseUrl, token: 'not-the-token-0123456789' });
    await expect(stranger.listWorkflow('etl')).rejects.toMatchObject({ status: 401, code: 'MESH_UNAUTHORIZED' });
    await expect(client.get('etl', 'no-such-run')).rejects.toMatchObject({
      status: 404,
      code: 'MESH_NOT_FOUND',
      message: 'no run "no-such-run" of workflow "etl"',
    });
  });
});
