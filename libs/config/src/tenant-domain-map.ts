import { meshNameProblem } from '@mesh/mesh-protocol';

/**
 * Tenant → domain routing overrides, parsed from `tenantA=domain1,tenantB=domain2`. Backed by a Map,
 * so no tenant name can reach an object prototype.
 */
export class TenantDomainMap {
  private constructor(private readonly map: ReadonlyMap<string, string>) {
    Object.freeze(this);
  }

  static readonly EMPTY = new TenantDomainMap(new Map());

  /** Parses the map; throws an Error naming every bad entry (empty, malformed, duplicate). */
  static parse(raw: string): TenantDomainMap {
    const text = raw.trim();
    if (text === '') return TenantDomainMap.EMPTY;
    const map = new Map<string, string>();
    const problems: string[] = [];
    text.split(',').forEach((part, i) => {
      const entry = part.trim();
      const where = `entry ${i + 1}`;
      if (entry === '') return problems.push(`${where} is empty`);
      const eq = entry.indexOf('=');
      if (eq < 0) return problems.push(`${where} ${JSON.stringify(entry)} is not tenant=domain`);
      const tenant = entry.slice(0, eq).trim();
      const domain = entry.slice(eq + 1).trim();
      const tenantProblem = meshNameProblem(tenant);
      const domainProblem = meshNameProblem(domain);
      if (tenantProblem) return problems.push(`${where}: tenant ${tenantProblem}`);
      if (domainProblem) return problems.push(`${where}: domain ${domainProblem}`);
      if (map.has(tenant)) return problems.push(`${where}: duplicate tenant ${JSON.stringify(tenant)}`);
      map.set(tenant, domain);
      return undefined;
    });
    if (problems.length > 0) throw new Error(problems.join(', '));
    return new TenantDomainMap(map);
  }

  /** The pinned domain of `tenant`, or undefined when it has no override. */
  domainFor(tenant: string): string | undefined {
    return this.map.get(tenant);
  }

  get size(): number {
    return this.map.size;
  }

  entries(): Array<[tenant: string, domain: string]> {
    return [...this.map.entries()];
  }

  /** The canonical text form, `tenant=domain,…` in insertion order. */
  toString(): string {
    return this.entries()
      .map(([t, d]) => `${t}=${d}`)
      .join(',');
  }
}
