import { Progress } from './progress';

describe('progress', () => {
  it('when a part fails for the stall time with no success in between, it is stalled until it succeeds again', async () => {
    let clock = 0;
    const progress = new Progress(100, () => clock);
    progress.failed('acks');
    clock = 99;
    progress.failed('acks');
    expect(progress.stalled()).toEqual([]);
    clock = 100;
    expect(progress.stalled()).toEqual(['acks']);
    await progress.track('schedule', () => Promise.resolve());
    expect(progress.stalled()).toEqual(['acks']);
    await progress.track('acks', () => Promise.resolve(1));
    expect(progress.stalled()).toEqual([]);
    await expect(progress.track('submissions', () => Promise.reject(new Error('NOPERM')))).rejects.toThrow('NOPERM');
    clock = 180;
    progress.failed('submissions');
    clock = 200;
    expect(progress.stalled()).toEqual(['submissions']);
  });

  it('when a failing part is tried no more (its failed work is gone), it stops counting as stalled', () => {
    let clock = 0;
    const progress = new Progress(100, () => clock);
    // Failures 150 ms apart (a slow retry cadence) still make one streak.
    for (clock = 0; clock <= 150; clock += 150) progress.failed('schedule');
    expect(progress.stalled()).toEqual(['schedule']);
    clock = 349;
    expect(progress.stalled()).toEqual(['schedule']);
    clock = 350;
    expect(progress.stalled()).toEqual([]);
    // A new failure starts a new streak.
    progress.failed('schedule');
    clock = 400;
    expect(progress.stalled()).toEqual([]);
  });
});
