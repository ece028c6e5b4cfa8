import { readFileSync } from 'node:fs';
import { validateManifest, type MeshManifest } from '@mesh/mesh-protocol';

/** Reads and validates MESH_SERVICES_FILE; throws one clear message when it is missing or invalid. */
export function readManifest(path: string): MeshManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `MESH_SERVICES_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`MESH_SERVICES_FILE: ${path} is not JSON: ${(err as Error).message}`);
  }
  const result = validateManifest(parsed);
  if (!result.ok) throw new Error(`MESH_SERVICES_FILE: ${path} is not a mesh manifest: ${result.problems.join('; ')}`);
  return result.value;
}
