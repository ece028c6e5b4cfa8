import { PROTOCOL_EXAMPLES as EXAMPLES } from './messages';
import { decodeEntry, encodeEntry } from './codec';
import { MESSAGE_FIELDS } from './messages';

describe('codec', () => {
  it.each(MESSAGE_FIELDS)('when a valid %s is encoded and decoded, the same message comes back', (field) => {
    const fields = encodeEntry(field, EXAMPLES[field]);
    expect(fields.slice(0, 3)).toEqual(['v', '1', field]);
    expect(decodeEntry(field, fields)).toEqual({ ok: true, message: EXAMPLES[field] });
  });

  it('when an entry carries unknown extra fields and properties, they are ignored', () => {
    const fields = ['v', '1', 'trace', 'x', 'ack', JSON.stringify({ ...EXAMPLES.ack, futureField: 1 })];
    expect(decodeEntry('ack', fields).ok).toBe(true);
  });

  it('when the JSON is broken, the reason is malformed_json', () => {
    expect(decodeEntry('ack', ['v', '1', 'ack', '{nope'])).toMatchObject({ ok: false, reason: 'malformed_json' });
  });

  it('when the version is not 1 or missing, the reason is unsupported_version', () => {
    expect(decodeEntry('ack', ['v', '2', 'ack', '{}'])).toMatchObject({
      ok: false,
      reason: 'unsupported_version',
      detail: expect.stringContaining('"2"'),
    });
    expect(decodeEntry('ack', ['ack', '{}'])).toMatchObject({
      ok: false,
      reason: 'unsupported_version',
      detail: 'missing field "v"',
    });
    expect(decodeEntry('ack', null)).toMatchObject({ ok: false, reason: 'unsupported_version' });
  });

  it('when the message field is absent, the reason is invalid_message naming it', () => {
    expect(decodeEntry('ack', ['v', '1', 'event', '{}'])).toEqual({
      ok: false,
      reason: 'invalid_message',
      detail: 'missing field "ack"',
    });
  });

  it('when required properties are missing or mistyped, every problem is listed', () => {
    const { runnerId: _drop, ...rest } = EXAMPLES.ack;
    const decoded = decodeEntry('ack', ['v', '1', 'ack', JSON.stringify({ ...rest, success: 'yes', attempt: 0 })]);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.reason).toBe('invalid_message');
    expect(decoded.detail).toContain('missing required field "runnerId"');
    expect(decoded.detail).toContain('/success: must be boolean');
    expect(decoded.detail).toContain('/attempt: must be >= 1');
  });

  it('when a run event has an unknown type, it is refused listing the types', () => {
    const decoded = decodeEntry('event', [
      'v',
      '1',
      'event',
      JSON.stringify({ ...EXAMPLES.event, type: 'task-exploded' }),
    ]);
    expect(decoded).toMatchObject({
      ok: false,
      reason: 'invalid_message',
      detail: expect.stringContaining('"run-started"'),
    });
  });
});
