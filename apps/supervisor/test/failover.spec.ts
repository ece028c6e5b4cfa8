import { useMesh } from '@mesh/mesh-harness';
import { eventually } from '@mesh/testing';

const t = useMesh('supervisor-failover');

describe('two supervisors', () => {
  it('when one of two supervisors is killed mid-run, the other takes over its work and every run ends', async () => {
    const doomed = await t.mesh.supervisor('sup-a');
    await t.mesh.runner('cpu-1', 'default', { RUNNER_CONCURRENCY: '16' });
    const chain = [
      { id: 's1', kind: 'sleep', payload: { ms: 150 } },
      { id: 's2', kind: 'sleep', payload: { ms: 150 }, dependsOn: ['s1'] },
      { id: 's3', kind: 'sleep', payload: { ms: 150 }, dependsOn: ['s2'] },
    ];
    const runs: string[] = [];
    for (let i = 0; i < 10; i++) runs.push(await t.mesh.submit('chain', `tenant-${i}`, chain));
    // Kill one without warning once it is busy with these runs (it started one). The other joins before: had
    // both read from the start, on a loaded machine the other could take every run and leave it none to die with.
    await eventually(() => doomed.records.find((l) => l['msg'] === 'run started'));
    await t.mesh.supervisor('sup-b');
    await doomed.stop('SIGKILL');
    for (let i = 0; i < 5; i++) runs.push(await t.mesh.submit('chain', `late-${i}`, chain));

    // One poll of each run's state hash per round, then the events once (not 15 readers of the whole feed).
    // Generous: under a load of 15 on two cores every hop of a chain can take seconds.
    const outcomes = await t.mesh.allEnded(runs, 200_000);
    expect(outcomes.map((e) => e.type)).toEqual(runs.map(() => 'run-succeeded'));
    // Each run ran each task to success exactly once as far as its record goes.
    for (const id of runs) {
      const succeeded = (await t.mesh.events(id)).filter((e) => e.type === 'task-succeeded').map((e) => e.taskId);
      expect(new Set(succeeded)).toEqual(new Set(['s1', 's2', 's3']));
    }
  }, 240_000);
});
