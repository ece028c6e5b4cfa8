import { describeRequirements, describeRoute } from './requirements';

describe('describing routes and requirements', () => {
  it('when a task requires hardware, it reads as GPUs, memory and cores', () => {
    expect(describeRequirements({ gpu: { count: 2, model: 'H100' }, memoryBytes: 64 * 2 ** 30, cpuCores: 8 })).toBe(
      '2× H100 GPU, 64 GiB memory, 8 CPU cores',
    );
    expect(describeRequirements({ gpu: {} })).toBe('1× GPU');
    expect(describeRequirements({ memoryBytes: 1536 })).toBe('1.5 KiB memory');
  });

  it('when a task names its rule, each rule reads as words; an unknown one as itself', () => {
    expect(describeRoute({ route: 'requires', requires: { gpu: { model: 'H100' } } })).toBe(
      'the hardware it requires (1× H100 GPU)',
    );
    expect(describeRoute({ route: 'domain' })).toBe('the domain the task names');
    expect(describeRoute({ route: 'override' })).toBe("its tenant's route");
    expect(describeRoute({ route: 'default' })).toBe('the default route');
    expect(describeRoute({ route: 'later' })).toBe('later');
    expect(describeRoute({})).toBeUndefined();
  });
});
