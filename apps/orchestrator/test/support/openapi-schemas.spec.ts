import { openApiProblems, undocumented } from './openapi-schemas';

describe('checking responses against docs/openapi.yaml', () => {
  it('when a body lacks a required field, has a wrong type or a field the document never names, each is reported', () => {
    const task = { id: 'a', kind: 'echo', status: 'done', attempts: 1, colour: 'red' };
    const run = { runId: 'r', workflow: 'w', tenant: 't', status: 'running', counts: {}, extra: 1, tasks: [task] };
    expect(openApiProblems('Run', run)).toEqual(
      expect.arrayContaining([
        "(root) must have required property 'submittedAt'",
        '/tasks/0/status must be equal to one of the allowed values',
      ]),
    );
    expect(undocumented('Run', run)).toEqual(['Run.extra', 'Run.tasks[0].colour']);
    expect(() => openApiProblems('Nope', {})).toThrow('docs/openapi.yaml has no schema Nope');
  });
});
