import { readFileSync } from 'node:fs';
import { TenantDomainMap } from '@mesh/config';

/** Reads a tenant map file (the MESH_TENANT_DOMAIN_MAP syntax; newlines count as commas, # starts a comment). */
export function readTenantMapFile(path: string): TenantDomainMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .join(',');
  try {
    return TenantDomainMap.parse(entries);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}
