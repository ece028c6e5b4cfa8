import { PROTOCOL_EXAMPLES, type Assignment } from '@mesh/mesh-protocol';
import { builtinHandlers, HandlerRegistry } from '../tasks/registry';
import { Executor } from './executor';

let clock = 1000;
const executor = new Executor({
  runnerId: 'runner-1',
  handlers: new HandlerRegistry(builtinHandlers({ allow: [], outputLimitBytes: 1024, env: {} })),
  outputLimitBytes: 200,
  now: () => clock++,
});
const assignment = (over: Partial<Assignment>): Assignment => ({ ...PROTOCOL_EXAMPLES.assignment, ...over });

describe('executor', () => {
  it('when an echo task runs, the ack succeeds with the payload as output and the assignment ids', async () => {
    const { ack, reason } = await executor.execute(assignment({ kind: 'echo', payload: { a: 1 } }));
    expect(reason).toBeUndefined();
    expect(ack).toMatchObject({
      success: true,
      output: { a: 1 },
      runnerId: 'runner-1',
      assignmentId: PROTOCOL_EXAMPLES.assignment.assignmentId,
      attempt: 1,
      taskId: 'extract',
    });
    expect(ack.finishedAt).toBeGreaterThanOrEqual(ack.startedAt);
    expect(ack.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('when a fail task runs, the ack fails with its message', async () => {
    const { ack, reason } = await executor.execute(assignment({ kind: 'fail', payload: { message: 'disk full' } }));
    expect([ack.success, ack.error, reason]).toEqual([false, 'disk full', 'error']);
  });

  it('when the kind is unknown, the ack fails naming it and the kinds this runner has', async () => {
    const { ack, reason } = await executor.execute(assignment({ kind: 'teleport' }));
    expect([ack.success, ack.error, reason]).toEqual([
      false,
      'unknown task kind "teleport" (this runner has: sleep, echo, fail)',
      'unknown_kind',
    ]);
  });

  it('when exec is not enabled, an exec task is an unknown kind', async () => {
    expect((await executor.execute(assignment({ kind: 'exec', payload: { command: 'ls', args: [] } }))).reason).toBe(
      'unknown_kind',
    );
  });

  it("when the payload fails the kind's validation, the ack fails with the problems", async () => {
    const { ack, reason } = await executor.execute(assignment({ kind: 'sleep', payload: { ms: -5 } }));
    expect([ack.success, ack.error, reason]).toEqual([
      false,
      'invalid payload for sleep: payload.ms must be a non-negative integer',
      'invalid_payload',
    ]);
  });

  it("when a handler's validate() throws on a payload, the ack fails as an invalid payload and nothing rejects", async () => {
    const picky = new Executor({
      runnerId: 'runner-1',
      handlers: new HandlerRegistry([
        {
          kind: 'picky',
          validate: (p) => [(p as { deep: { field: string } }).deep.field],
          run: async () => null,
        },
      ]),
      outputLimitBytes: 200,
    });
    const { ack, reason } = await picky.execute(assignment({ kind: 'picky', payload: {} }));
    expect([ack.success, reason]).toEqual([false, 'invalid_payload']);
    expect(ack.error).toMatch(/^invalid payload for picky: validate\(\) threw: .*undefined/);
  });

  it('when a task outlasts timeoutMs, the ack is a timeout failure', async () => {
    const { ack, reason } = await executor.execute(
      assignment({ kind: 'sleep', payload: { ms: 10_000 }, timeoutMs: 20 }),
    );
    expect([ack.success, ack.error, reason]).toEqual([false, 'timed out after 20 ms', 'timeout']);
  });

  it('when the output is larger than the limit, the ack carries a bounded preview', async () => {
    const { ack } = await executor.execute(assignment({ kind: 'echo', payload: { blob: 'x'.repeat(1000) } }));
    expect(ack.output).toMatchObject({ truncated: true, bytes: JSON.stringify({ blob: 'x'.repeat(1000) }).length });
    expect(JSON.stringify(ack.output).length).toBeLessThan(400);
  });

  it('when the runner aborts a task, it settles at once with the abort reason', async () => {
    const controller = new AbortController();
    const running = executor.execute(
      assignment({ kind: 'sleep', payload: { ms: 10_000 }, timeoutMs: 60_000 }),
      controller.signal,
    );
    controller.abort(new Error('runner shutting down'));
    const { ack } = await running;
    expect([ack.success, ack.error]).toEqual([false, 'runner shutting down']);
  });
});
