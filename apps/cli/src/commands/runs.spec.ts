import { parseSince } from './runs';

describe('parseSince', () => {
  const now = 1_795_000_000_000;
  it('when given an age, epoch ms or an ISO date-time, it passes the server a time it accepts', () => {
    expect(parseSince('30m', now)).toBe(now - 30 * 60_000);
    expect(parseSince('2h', now)).toBe(now - 2 * 3_600_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('1795000000000', now)).toBe(1795000000000);
    expect(parseSince('2026-11-28T06:00:00Z', now)).toBe('2026-11-28T06:00:00Z');
  });

  it('when given anything else, it is a usage error naming the value', () => {
    expect(() => parseSince('yesterday', now)).toThrow('--since: "yesterday" is not epoch ms');
  });
});
