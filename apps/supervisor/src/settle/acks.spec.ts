import { PROTOCOL_EXAMPLES, type RunnerReport } from '@mesh/mesh-protocol';
import type { Settlement } from '../runs/coordinator';
import { createExhaustedReportHandler } from './acks';

describe('a report past its delivery limit', () => {
  it('when a report is given up, every attempt it acked, succeeded or failed, fails with the reason and may run again', async () => {
    const [ok] = PROTOCOL_EXAMPLES.report.acks;
    if (!ok) throw new Error('the example report has an ack');
    const failed = { ...ok, taskId: 'load', assignmentId: `${ok.runId}:load:2`, attempt: 2, success: false };
    const report: RunnerReport = {
      ...PROTOCOL_EXAMPLES.report,
      acks: [ok, { ...failed, error: 'disk full' }, { ...failed, taskId: 'other', output: undefined }],
    };
    const settled: Settlement[] = [];
    const handle = createExhaustedReportHandler({
      coordinator: {
        advance: async (work: { settlements?: readonly Settlement[] }) => {
          settled.push(...(work.settlements ?? []));
          return { deferred: new Set<string>() };
        },
      } as never,
    });
    await handle({ id: '1-0', message: report, fields: [], deliveries: 6 });

    const limit = 'report of runner gpu-node-1 given up after 6 deliveries (delivery limit)';
    expect(settled.map((s) => s.input)).toEqual([
      // A success whose report was given up is not applied: its output is not stored, and the task runs again.
      {
        runId: ok.runId,
        taskId: 'extract',
        attempt: 1,
        success: false,
        allowRetry: true,
        error: `${limit}; it reported success, not applied`,
        runnerId: ok.runnerId,
        startedAt: ok.startedAt,
      },
      {
        runId: ok.runId,
        taskId: 'load',
        attempt: 2,
        success: false,
        allowRetry: true,
        error: `${limit}; it reported: disk full`,
        runnerId: ok.runnerId,
        startedAt: ok.startedAt,
      },
      {
        runId: ok.runId,
        taskId: 'other',
        attempt: 2,
        success: false,
        allowRetry: true,
        error: `${limit}; it reported: task failed`,
        runnerId: ok.runnerId,
        startedAt: ok.startedAt,
      },
    ]);
  });
});
