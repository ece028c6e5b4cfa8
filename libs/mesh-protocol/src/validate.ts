import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { MESSAGE_SCHEMAS, type MessageField, type MessageTypes } from './messages';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = new Map<MessageField, ValidateFunction>();

function validatorFor(field: MessageField): ValidateFunction {
  let validate = validators.get(field);
  if (!validate) {
    validate = ajv.compile(MESSAGE_SCHEMAS[field]);
    validators.set(field, validate);
  }
  return validate;
}

export type Validation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly string[] };

/** Checks `value` against the message's JSON Schema; problems read like `/tasks/0/id: must match pattern …`. */
export function validateMessage<F extends MessageField>(field: F, value: unknown): Validation<MessageTypes[F]> {
  const validate = validatorFor(field);
  if (validate(value)) return { ok: true, value: value as MessageTypes[F] };
  return { ok: false, problems: formatProblems(validate.errors ?? []) };
}

export function formatProblems(errors: readonly ErrorObject[]): string[] {
  return errors.map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath;
    if (e.keyword === 'required') return `${where}: missing required field "${String(e.params['missingProperty'])}"`;
    if (e.keyword === 'additionalProperties')
      return `${where}: unknown field "${String(e.params['additionalProperty'])}"`;
    if (e.keyword === 'enum')
      return `${where}: must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    return `${where}: ${e.message ?? e.keyword}`;
  });
}
