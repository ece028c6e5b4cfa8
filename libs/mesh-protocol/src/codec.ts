import type { DeadLetterReason, MessageField, MessageTypes } from './messages';
import { PROTOCOL_VERSION } from './keys';
import { validateMessage } from './validate';

/** A stream entry's field/value list as Redis returns it: `['v', '1', 'assignment', '{…}']`. */
export type EntryFields = readonly string[];

/** Encodes a message into the two fields of a v1 entry. */
export function encodeEntry<F extends MessageField>(field: F, message: MessageTypes[F]): [string, string, F, string] {
  return ['v', PROTOCOL_VERSION, field, JSON.stringify(message)];
}

export type Decoded<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly reason: DeadLetterReason; readonly detail: string };

/**
 * Decodes a v1 entry carrying message `field`. Never throws: a bad entry comes back with the
 * dead-letter reason and a readable detail. Unknown extra fields are ignored.
 */
export function decodeEntry<F extends MessageField>(
  field: F,
  fields: EntryFields | null | undefined,
): Decoded<MessageTypes[F]> {
  const map = fieldMap(fields);
  const version = map.get('v');
  if (version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      reason: 'unsupported_version',
      detail:
        version === undefined
          ? 'missing field "v"'
          : `unsupported version ${JSON.stringify(version)} (expected "${PROTOCOL_VERSION}")`,
    };
  }
  const raw = map.get(field);
  if (raw === undefined) return { ok: false, reason: 'invalid_message', detail: `missing field "${field}"` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reason: 'malformed_json', detail: `field "${field}" is not JSON: ${(err as Error).message}` };
  }
  const result = validateMessage(field, parsed);
  if (!result.ok) return { ok: false, reason: 'invalid_message', detail: result.problems.join('; ') };
  return { ok: true, message: result.value };
}

/** Field/value pairs into a Map; a repeated field keeps its first value. */
export function fieldMap(fields: EntryFields | null | undefined): Map<string, string> {
  const map = new Map<string, string>();
  if (!fields) return map;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const key = fields[i] as string;
    if (!map.has(key)) map.set(key, fields[i + 1] as string);
  }
  return map;
}

/**
 * Decodes an entry of mesh:acks as a runner report: a `report` entry as it is, a single `ack` entry (what a
 * v1 worker writes) as a report of that one ack. Never throws.
 */
export function decodeAcksEntry(fields: EntryFields | null | undefined): Decoded<MessageTypes['report']> {
  if (fieldMap(fields).has('report')) return decodeEntry('report', fields);
  const single = decodeEntry('ack', fields);
  if (!single.ok) return single;
  const ack = single.message;
  return { ok: true, message: { runnerId: ack.runnerId, at: ack.finishedAt, started: [], acks: [ack] } };
}
