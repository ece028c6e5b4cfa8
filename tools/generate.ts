/**
 * Writes the files generated from the libraries' single sources of truth:
 *   docs/protocol/<field>.schema.json and docs/protocol/examples/<field>.json  (from @mesh/mesh-protocol)
 *   docs/protocol/workflow-request.schema.json                                (from @mesh/mesh-protocol)
 *   docs/protocol/mesh-services.schema.json                                   (from @mesh/mesh-protocol)
 *   docs/dashboards/mesh_supervisor_dashboard.json                            (from @mesh/metrics-schema)
 *   docker/lightweight/mesh-services.json                                     (from docker/lightweight/compose.yaml)
 *   docs/metrics.md                                                            (from @mesh/metrics-schema)
 * Tests fail when a committed file drifts from its source; run `npm run generate` to refresh them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  manifestSchema,
  MESSAGE_FIELDS,
  MESSAGE_SCHEMAS,
  PROTOCOL_EXAMPLES,
  workflowRequestSchema,
} from '@mesh/mesh-protocol';
import { renderDashboard } from './dashboard';
import { manifestFromCompose } from './manifest';
import { renderMetricsDoc } from './metrics-doc';

const root = process.cwd();

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path.slice(root.length + 1)}`);
}

const writeJson = (path: string, value: unknown): void => write(path, `${JSON.stringify(value, null, 2)}\n`);

for (const field of MESSAGE_FIELDS) {
  writeJson(join(root, 'docs', 'protocol', `${field}.schema.json`), MESSAGE_SCHEMAS[field]);
  writeJson(join(root, 'docs', 'protocol', 'examples', `${field}.json`), PROTOCOL_EXAMPLES[field]);
}

writeJson(join(root, 'docs', 'protocol', 'mesh-services.schema.json'), manifestSchema);
writeJson(join(root, 'docs', 'protocol', 'workflow-request.schema.json'), workflowRequestSchema);
write(join(root, 'docs', 'metrics.md'), renderMetricsDoc());
write(join(root, 'docs', 'dashboards', 'mesh_supervisor_dashboard.json'), renderDashboard());
writeJson(
  join(root, 'docker', 'lightweight', 'mesh-services.json'),
  manifestFromCompose(join(root, 'docker', 'lightweight', 'compose.yaml')),
);
