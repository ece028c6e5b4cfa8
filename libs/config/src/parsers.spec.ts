import { formatListenAddress, parseInteger, parseList, parseListenAddress, parseRedisUrl } from './parsers';

describe('parseListenAddress', () => {
  it.each([
    [':9098', undefined, 9098],
    ['0.0.0.0:9097', '0.0.0.0', 9097],
    ['localhost:8083', 'localhost', 8083],
    ['[::1]:8083', '::1', 8083],
    [':0', undefined, 0],
  ])('when given %s, it is host %s and port %d', (raw, host, port) => {
    expect(parseListenAddress(raw)).toEqual({ host, port });
    expect(formatListenAddress(parseListenAddress(raw))).toBe(raw);
  });

  it.each(['9098', 'host:', 'host:port', ':70000', '::1:80', ''])('when given %j, it is refused', (raw) => {
    expect(() => parseListenAddress(raw)).toThrow();
  });
});

describe('parseRedisUrl', () => {
  it('when the URL has a password, it is kept for the client and masked for display', () => {
    const url = parseRedisUrl('rediss://default:s3cr%40t@redis.example:6380/2');
    expect(url).toMatchObject({ tls: true, password: 's3cr@t', display: 'rediss://default:***@redis.example:6380/2' });
  });

  it('when the URL is malformed, the error does not repeat it', () => {
    let message = '';
    try {
      parseRedisUrl('redis//user:hunter2@host');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/is not a URL/);
    expect(message).not.toContain('hunter2');
  });

  it.each(['http://host:6379', 'redis://host:6379/abc'])('when given %s, it is refused', (raw) => {
    expect(() => parseRedisUrl(raw)).toThrow();
  });

  it.each([
    ['redis://h:6379/99', 'database 99 is out of range (0-15)'],
    ['redis://h:6379/16', 'database 16 is out of range (0-15)'],
    ['redis://h:6379?db=42', 'database 42 is out of range (0-15)'],
    ['redis://h:6379?family=6&tls=yes', 'query parameter "tls" is not supported'],
  ])('when given %s, it is refused with the rule', (raw, problem) => {
    expect(() => parseRedisUrl(raw)).toThrow(problem);
  });

  it('when the database is in range, it is kept', () => {
    expect(parseRedisUrl('redis://h:6379/15')).toMatchObject({ db: 15 });
    expect(parseRedisUrl('redis://h:6379?db=3')).toMatchObject({ db: 3 });
    expect(parseRedisUrl('redis://h:6379')).toMatchObject({ db: 0 });
  });

  it.each([
    ['redis://h:6379/0?password=canary-q', 'redis://h:6379/0?password=***'],
    ['redis://:canary-q@h:6379', 'redis://:***@h:6379'],
    ['redis://user:canary-q@h:6379', 'redis://user:***@h:6379'],
  ])('when the password is given as in %s, it is a secret and the display masks it', (raw, display) => {
    const url = parseRedisUrl(raw);
    expect(url.password).toBe('canary-q');
    expect(url.display).toBe(display);
  });
});

describe('small parsers', () => {
  it('when an integer is out of range or not an integer, it is refused', () => {
    expect(parseInteger(1, 10)('7')).toBe(7);
    expect(() => parseInteger(1, 10)('0')).toThrow('out of range (1-10)');
    expect(() => parseInteger(1, 10)('2.5')).toThrow('not an integer');
  });

  it('when a list has an empty entry, it is refused', () => {
    expect(parseList('a, b')).toEqual(['a', 'b']);
    expect(() => parseList('a,,b')).toThrow('entry 2 is empty');
  });
});
