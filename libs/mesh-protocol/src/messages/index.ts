import { ackSchema, type Ack } from './ack';
import { assignmentSchema, type Assignment } from './assignment';
import { deadLetterSchema, type DeadLetter } from './dead-letter';
import { reportSchema, type RunnerReport } from './report';
import { runEventSchema, type RunEvent } from './run-event';
import { submissionSchema, type Submission } from './submission';

/** Message types by the entry field that carries them. */
export interface MessageTypes {
  submission: Submission;
  assignment: Assignment;
  ack: Ack;
  report: RunnerReport;
  event: RunEvent;
  dead: DeadLetter;
}

export type MessageField = keyof MessageTypes;

/** The JSON Schema of each message, by field name; `docs/protocol/<field>.schema.json` is generated from these. */
export const MESSAGE_SCHEMAS = Object.freeze({
  submission: submissionSchema,
  assignment: assignmentSchema,
  ack: ackSchema,
  report: reportSchema,
  event: runEventSchema,
  dead: deadLetterSchema,
});

export const MESSAGE_FIELDS = Object.keys(MESSAGE_SCHEMAS) as MessageField[];

export * from './common';
export * from './submission';
export * from './assignment';
export * from './ack';
export * from './report';
export * from './run-event';
export * from './dead-letter';
export { PROTOCOL_EXAMPLES } from './examples';
