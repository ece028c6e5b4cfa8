import { DEAD_LETTER_REASONS } from '@mesh/metrics-schema';
import { SCHEMA_DIALECT, epochMsSchema, type EpochMs } from './common';

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
export { DEAD_LETTER_REASONS };

/**
 * An entry no reader could process. Written by any reader to `mesh:dead` (then the original entry is
 * acked); read by operators. `fields` is the original entry, verbatim.
 */
export interface DeadLetter {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly entryId: string;
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly deliveries: number;
  readonly fields: Readonly<Record<string, string>>;
  readonly at: EpochMs;
}

export const deadLetterSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:dead',
  title: 'DeadLetter',
  description: 'An entry no reader could process: any reader → operators on mesh:dead (field "dead").',
  type: 'object',
  required: ['stream', 'group', 'consumer', 'entryId', 'reason', 'detail', 'deliveries', 'fields', 'at'],
  properties: {
    stream: { type: 'string', minLength: 1 },
    group: { type: 'string' },
    consumer: { type: 'string' },
    entryId: { type: 'string', pattern: '^[0-9]+-[0-9]+$' },
    reason: { enum: [...DEAD_LETTER_REASONS] },
    detail: { type: 'string' },
    deliveries: { type: 'integer', minimum: 0 },
    fields: { type: 'object', additionalProperties: { type: 'string' } },
    at: epochMsSchema,
  },
} as const;
