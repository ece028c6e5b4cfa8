import { sample, useMesh } from '@mesh/mesh-harness';
import { decodeEntry, GROUPS, PROTOCOL_EXAMPLES, type DeadLetter } from '@mesh/mesh-protocol';
import { eventually } from '@mesh/testing';

const t = useMesh('fault-supervisor-poison');
const MB = 1024 * 1024;
const UUID = '3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33';
const BAD_UTF8 = Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28, 0x80]);

/** Writes one entry with exactly these fields; returns its id. */
async function xadd(stream: string, ...fields: Array<string | Buffer>): Promise<string> {
  return (await t.ctx.redis.xadd(stream, '*', ...fields)) as string;
}

async function deadLetters(): Promise<DeadLetter[]> {
  const entries = (await t.ctx.redis.xrange(t.mesh.keys.dead, '-', '+')) as Array<[string, string[]]>;
  return entries.map(([, fields]) => {
    const decoded = decodeEntry('dead', fields);
    if (!decoded.ok) throw new Error(`an unreadable dead letter: ${decoded.detail}`);
    return decoded.message;
  });
}

async function pending(stream: string): Promise<number> {
  const [count] = (await t.ctx.redis.xpending(stream, GROUPS.supervisor)) as [number];
  return Number(count);
}

describe('poison entries on the supervisor streams', () => {
  it('when submissions and reports no v1 reader can accept arrive among good ones, each is dead-lettered with its reason and counted, nothing stays pending, the supervisor lives and good runs succeed', async () => {
    const sup = await t.mesh.supervisor('sup-poison');
    await t.mesh.runner('poison-runner', 'default');
    const { workflows, acks } = t.mesh.keys;
    const submission = JSON.stringify({ ...PROTOCOL_EXAMPLES.submission, runId: 'r-ok-shape' });
    // Keyed by stream and entry id: two streams may give the same id to entries added in the same millisecond.
    const expected = new Map<string, string>();
    const poison = async (stream: string, reason: string, ...fields: Array<string | Buffer>) =>
      expected.set(`${stream} ${await xadd(stream, ...fields)}`, reason);

    await poison(workflows, 'malformed_json', 'v', '1', 'submission', '{"runId": ');
    await poison(workflows, 'malformed_json', 'v', '1', 'submission', 'x'.repeat(MB));
    await poison(workflows, 'malformed_json', 'v', '1', 'submission', BAD_UTF8);
    await poison(workflows, 'unsupported_version', 'v', '2', 'submission', submission);
    await poison(workflows, 'unsupported_version', 'submission', submission);
    await poison(workflows, 'invalid_message', 'v', '1', 'submission', JSON.stringify({ runId: 'no-tasks' }));
    await poison(workflows, 'invalid_message', 'v', '1', 'ack', submission);
    await poison(workflows, 'invalid_message', 'v', '1', 'submission', '[1,2,3]');
    const before = await t.mesh.submit('good', 'acme', [{ id: 'a' }]);
    await poison(acks, 'malformed_json', 'v', '1', 'report', '{"runnerId": ');
    await poison(acks, 'malformed_json', 'v', '1', 'report', 'y'.repeat(MB));
    await poison(acks, 'malformed_json', 'v', '1', 'ack', BAD_UTF8);
    await poison(acks, 'unsupported_version', 'v', '9', 'ack', JSON.stringify(PROTOCOL_EXAMPLES.ack));
    await poison(acks, 'invalid_message', 'v', '1', 'ack', JSON.stringify({ runId: 'r', success: 'yes' }));
    await poison(acks, 'invalid_message', 'v', '1', 'report', JSON.stringify({ runnerId: 7, acks: 'all' }));
    // Well formed, but about nothing that exists, with id-shaped names: no dead letter, no label from them.
    await xadd(acks, 'v', '1', 'ack', JSON.stringify({ ...PROTOCOL_EXAMPLES.ack, runId: UUID, runnerId: UUID }));
    // A valid run whose workflow and tenant are shaped like ids: it runs; its workflow label is bounded.
    const idShaped = await t.mesh.submit(UUID, UUID, [{ id: 'a', kind: 'echo', payload: { x: 1 } }]);
    const after = await t.mesh.submit('good', 'acme', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);

    for (const runId of [before, idShaped, after]) expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    const letters = await eventually(async () => {
      const all = await deadLetters();
      return all.length >= expected.size ? all : undefined;
    });
    // Each poison entry is dead-lettered at least once (a reclaim may repeat one), and nothing else is.
    expect(new Set(letters.map((l) => `${l.stream} ${l.entryId}`))).toEqual(new Set(expected.keys()));
    for (const letter of letters) {
      const at = `${letter.stream} ${letter.entryId}`;
      expect([at, letter.reason]).toEqual([at, expected.get(at)]);
    }
    await eventually(async () => ((await pending(workflows)) + (await pending(acks)) === 0 ? true : undefined));

    const text = await t.mesh.metrics(sup);
    const counted = (stream: string, reason: string) =>
      sample(text, `supervisor_dead_letters_total{stream="${stream}",reason="${reason}"}`);
    const written = (stream: string, reason: string) =>
      letters.filter((l) => l.stream === stream && l.reason === reason).length;
    for (const [stream, label] of [
      [workflows, 'workflows'],
      [acks, 'acks'],
    ] as const)
      for (const reason of ['malformed_json', 'unsupported_version', 'invalid_message'])
        expect([label, reason, counted(label, reason)]).toEqual([label, reason, written(stream, reason)]);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="_invalid",outcome="success"}')).toBe(1);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="good",outcome="success"}')).toBe(2);
    expect(sample(text, 'supervisor_duplicate_acks_total')).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(UUID);
    expect(sup.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${sup.port}/healthz`)).status).toBe(200);
    expect(sup.records.filter((r) => r['level'] === 'fatal' || r['msg'] === 'uncaught exception')).toEqual([]);
  });
});
