import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

const doc = parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as {
  components: { schemas: Record<string, unknown> };
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
// The document's components as one schema, so that its $refs ("#/components/schemas/…") resolve.
ajv.addSchema({ $id: 'openapi', components: doc.components });

/** The problems of `value` against a schema of docs/openapi.yaml (by its components name); [] when it conforms. */
export function openApiProblems(schema: string, value: unknown): string[] {
  if (!(schema in doc.components.schemas)) throw new Error(`docs/openapi.yaml has no schema ${schema}`);
  const validate = ajv.getSchema(`openapi#/components/schemas/${schema}`);
  if (!validate) throw new Error(`cannot compile ${schema}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
}

function resolve(schema: Schema): Schema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(doc.components.schemas[name] as Schema);
  }
  if (schema.allOf) {
    const parts = schema.allOf.map(resolve);
    return { properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<string, Schema> };
  }
  return schema;
}

/**
 * The paths of properties in `value` that the schema does not document (the document allows additions, so
 * validation alone would not notice a field the server sends but the document never mentions).
 */
export function undocumented(schema: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (s: Schema, v: unknown, at: string): void => {
    const r = resolve(s);
    if (Array.isArray(v)) {
      if (r.items) v.forEach((item, i) => walk(r.items as Schema, item, `${at}[${i}]`));
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, child] of Object.entries(v)) {
      const declared = r.properties?.[key];
      if (declared) walk(declared, child, `${at}.${key}`);
      else if (typeof r.additionalProperties === 'object') walk(r.additionalProperties, child, `${at}.${key}`);
      else if (r.properties && r.additionalProperties === undefined) out.push(`${at}.${key}`);
    }
  };
  walk({ $ref: `#/components/schemas/${schema}` }, value, schema);
  return out;
}
