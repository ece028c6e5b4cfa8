import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import {
  manifestSchema,
  MESSAGE_FIELDS,
  MESSAGE_SCHEMAS,
  PROTOCOL_EXAMPLES as EXAMPLES,
  validateManifest,
  validateMessage,
} from '../src';

const DOCS = join(__dirname, '..', '..', '..', 'docs', 'protocol');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** Invalid variants of each message: the published schema and the lib's validator must both refuse them. */
const INVALID: Record<string, unknown[]> = {
  submission: [
    { ...EXAMPLES.submission, tasks: [] },
    { ...EXAMPLES.submission, tenant: 'a b' },
    { ...EXAMPLES.submission, tasks: [{ id: 'x' }] },
  ],
  assignment: [
    { ...EXAMPLES.assignment, attempt: 0 },
    { ...EXAMPLES.assignment, domain: 'a:b' },
    { ...EXAMPLES.assignment, timeoutMs: -1 },
  ],
  ack: [
    { ...EXAMPLES.ack, success: 'true' },
    { ...EXAMPLES.ack, latencyMs: -1 },
    { ...EXAMPLES.ack, runnerId: undefined },
  ],
  event: [
    { ...EXAMPLES.event, type: 'nope' },
    { ...EXAMPLES.event, at: 'now' },
  ],
  dead: [
    { ...EXAMPLES.dead, reason: 'bored' },
    { ...EXAMPLES.dead, fields: { v: 1 } },
  ],
};

describe('published JSON Schemas', () => {
  // A validator built from the published files alone, as an implementer in another language would.
  const independent = new Ajv2020({ allErrors: true, strict: false });
  const published = (field: string) => {
    const schema = readJson(join(DOCS, `${field}.schema.json`)) as { $id: string };
    return independent.getSchema(schema.$id) ?? independent.compile(schema);
  };

  it.each(MESSAGE_FIELDS)(
    'when docs/protocol/%s.schema.json is read, it equals the schema the validators use (run `npm run generate` after a change)',
    (field) => {
      expect(readJson(join(DOCS, `${field}.schema.json`))).toEqual(JSON.parse(JSON.stringify(MESSAGE_SCHEMAS[field])));
    },
  );

  it.each(MESSAGE_FIELDS)(
    'when the published %s example is checked, both the published schema and the validator accept it',
    (field) => {
      const example = readJson(join(DOCS, 'examples', `${field}.json`));
      expect(example).toEqual(EXAMPLES[field]);
      expect(published(field)(example)).toBe(true);
      expect(validateMessage(field, example).ok).toBe(true);
    },
  );

  it.each(MESSAGE_FIELDS)(
    'when an invalid %s is checked, both the published schema and the validator refuse it',
    (field) => {
      for (const bad of INVALID[field] ?? []) {
        const plain = JSON.parse(JSON.stringify(bad)) as unknown;
        expect(published(field)(plain)).toBe(false);
        expect(validateMessage(field, plain).ok).toBe(false);
      }
    },
  );
});

describe('mesh manifest schema', () => {
  it('when docs/protocol/mesh-services.schema.json is read, it equals the schema the runner validates with', () => {
    expect(readJson(join(DOCS, 'mesh-services.schema.json'))).toEqual(JSON.parse(JSON.stringify(manifestSchema)));
  });

  it('when a manifest is checked, a valid one passes and each bad part is named', () => {
    const good = {
      version: 1,
      streamPrefix: 'mesh',
      services: [{ name: 'supervisor', host: 'stream-supervisor', port: 9098, metricsPath: '/metrics' }],
      domains: ['default'],
      tenantOverrides: [{ tenant: 'acme', domain: 'default' }],
    };
    expect(validateManifest(good).ok).toBe(true);
    const bad = validateManifest({
      ...good,
      services: [{ name: 'x', host: 'h', port: 0, metricsPath: 'metrics' }],
      extra: 1,
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems).toEqual(
      expect.arrayContaining([
        '(root): unknown field "extra"',
        '/services/0/port: must be >= 1',
        '/services/0/metricsPath: must match pattern "^/"',
      ]),
    );
  });
});
