import { Writable } from 'node:stream';
import { createLogger, REDACTED } from '../src';

function capture(): { stream: Writable; records: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    records: () =>
      text()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  it('when a record is written, it carries the service, the level name and child fields', () => {
    const out = capture();
    const log = createLogger({ service: 'supervisor', destination: out.stream });
    log.child({ component: 'acks' }).info({ runId: 'r1' }, 'ack applied');
    expect(out.records()).toEqual([
      expect.objectContaining({
        service: 'supervisor',
        level: 'info',
        component: 'acks',
        runId: 'r1',
        msg: 'ack applied',
      }),
    ]);
  });

  it('when a Redis URL with a password is logged in a field, a message or an error, the password never appears', () => {
    const out = capture();
    const log = createLogger({ service: 'env-runner', destination: out.stream });
    const url = 'redis://default:hunter2-pw@redis:6379/0';
    log.info({ redisUrl: url }, `connecting to ${url}`);
    log.error({ err: new Error(`connect failed for ${url}`) }, 'redis error');
    expect(out.text()).not.toContain('hunter2-pw');
    expect(out.records()[0]?.['redisUrl']).toBe(`redis://default:${REDACTED}@redis:6379/0`);
    expect(out.records()).toHaveLength(2);
  });

  it('when known secrets are registered, they are masked anywhere, even without a recognisable shape', () => {
    const out = capture();
    const log = createLogger({
      service: 'orchestrator',
      destination: out.stream,
      secrets: ['tok-9f8e7d', 'p@ss"word'],
    });
    log.warn({ detail: { nested: ['value tok-9f8e7d here'] } }, 'auth header was tok-9f8e7d');
    log.info({ note: 'p@ss"word' }, 'quoted');
    const text = out.text();
    expect(text).not.toContain('tok-9f8e7d');
    expect(text).not.toContain('p@ss');
    expect(out.records()[1]?.['note']).toBe(REDACTED);
  });

  it('when objects carry password, token or authorization fields or headers, those fields are censored', () => {
    const out = capture();
    const log = createLogger({ service: 'orchestrator', destination: out.stream });
    log.info(
      {
        password: 'a1',
        token: 'b2',
        config: { password: 'c3', apiToken: 'd4' },
        req: { headers: { authorization: 'Bearer e5', cookie: 'f6' } },
      },
      'x',
    );
    log.info('header was Bearer abc.def-ghi');
    const [first, second] = out.records();
    expect(first).toMatchObject({
      password: REDACTED,
      token: REDACTED,
      config: { password: REDACTED, apiToken: REDACTED },
      req: { headers: { authorization: REDACTED, cookie: REDACTED } },
    });
    expect(second?.['msg']).toBe(`header was Bearer ${REDACTED}`);
  });

  it('when an error is logged, it goes under err with its type and message', () => {
    const out = capture();
    createLogger({ service: 's', destination: out.stream }).error({ err: new TypeError('boom') }, 'failed');
    expect(out.records()[0]?.['err']).toMatchObject({ type: 'TypeError', message: 'boom' });
  });
});
