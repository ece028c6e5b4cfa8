import Ajv2020 from 'ajv/dist/2020';
import { MESH_NAME_PATTERN } from './names';
import { formatProblems, type Validation } from './validate';
import { SCHEMA_DIALECT } from './messages/common';

/**
 * The mesh manifest (`docker/lightweight/mesh-services.json`): which services run, where they
 * listen, where their metrics are, the worker domains and the tenant overrides. Runners echo it at
 * start-up (MESH_SERVICES_FILE) so an audit log shows the mesh they joined.
 */
export interface MeshManifest {
  readonly version: 1;
  readonly streamPrefix: string;
  readonly services: ReadonlyArray<{
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly metricsPath: string;
    readonly domain?: string;
  }>;
  readonly domains: readonly string[];
  readonly tenantOverrides: ReadonlyArray<{ readonly tenant: string; readonly domain: string }>;
}

const name = { type: 'string', pattern: MESH_NAME_PATTERN.source } as const;

export const manifestSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:manifest:v1',
  title: 'MeshManifest',
  description: 'The mesh manifest: services, ports, metric paths, domains and tenant overrides.',
  type: 'object',
  required: ['version', 'streamPrefix', 'services', 'domains', 'tenantOverrides'],
  additionalProperties: false,
  properties: {
    version: { const: 1 },
    streamPrefix: { type: 'string', minLength: 1 },
    services: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'host', 'port', 'metricsPath'],
        additionalProperties: false,
        properties: {
          name,
          host: { type: 'string', minLength: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          metricsPath: { type: 'string', pattern: '^/' },
          domain: name,
        },
      },
    },
    domains: { type: 'array', items: name, uniqueItems: true },
    tenantOverrides: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tenant', 'domain'],
        additionalProperties: false,
        properties: { tenant: name, domain: name },
      },
    },
  },
} as const;

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(manifestSchema);

/** Validates a parsed manifest; problems name the JSON path. */
export function validateManifest(value: unknown): Validation<MeshManifest> {
  if (validate(value)) return { ok: true, value: value as MeshManifest };
  return { ok: false, problems: formatProblems(validate.errors ?? []) };
}
