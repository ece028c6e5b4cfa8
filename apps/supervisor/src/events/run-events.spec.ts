import { EventBatch } from './run-events';

describe('event batch', () => {
  it('when a run has one change, its entry is that change; with several, one entry holds them all in order', () => {
    let at = 0;
    const batch = new EventBatch(() => ++at);
    batch.add('r1', 'wf', 'task-dispatched', { taskId: 'a', attempt: 1 });
    batch.add('r2', 'wf', 'task-succeeded', { taskId: 'x', attempt: 1 });
    batch.add('r2', 'wf', 'task-dispatched', { taskId: 'y', attempt: 1 });
    const [one, two] = batch.events();
    expect(one).toEqual({ runId: 'r1', workflow: 'wf', type: 'task-dispatched', at: 1, taskId: 'a', attempt: 1 });
    expect(two).toMatchObject({ runId: 'r2', type: 'batch' });
    expect(two?.events?.map((e) => [e.type, e.taskId])).toEqual([
      ['task-succeeded', 'x'],
      ['task-dispatched', 'y'],
    ]);
  });

  it('when several changes include the run ending, the entry carries that type, so a reader of v1 types sees the run end', () => {
    const batch = new EventBatch(() => 7);
    batch.add('r1', 'wf', 'task-succeeded', { taskId: 'last', attempt: 1 });
    batch.add('r1', 'wf', 'run-succeeded');
    const [entry] = batch.events();
    expect(entry).toMatchObject({ runId: 'r1', workflow: 'wf', type: 'run-succeeded', at: 7 });
    expect(entry?.events?.map((e) => e.type)).toEqual(['task-succeeded', 'run-succeeded']);
  });
});
