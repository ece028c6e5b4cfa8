import { TenantDomainMap } from './tenant-domain-map';

describe('TenantDomainMap.parse', () => {
  it('when given tenant=domain pairs, each tenant maps to its domain in order', () => {
    const map = TenantDomainMap.parse(' acme=gpu-east , globex=cpu-west ');
    expect(map.entries()).toEqual([
      ['acme', 'gpu-east'],
      ['globex', 'cpu-west'],
    ]);
    expect(map.domainFor('acme')).toBe('gpu-east');
    expect(map.domainFor('initech')).toBeUndefined();
    expect(map.toString()).toBe('acme=gpu-east,globex=cpu-west');
  });

  it('when the text is empty, the map is empty', () => {
    expect(TenantDomainMap.parse('').size).toBe(0);
    expect(TenantDomainMap.parse('  ').size).toBe(0);
  });

  it.each([
    ['acme=a,,b=c', 'entry 2 is empty'],
    ['acme=a,', 'entry 2 is empty'],
    ['acme', 'entry 1 "acme" is not tenant=domain'],
    ['acme=', 'entry 1: domain is empty'],
    ['=east', 'entry 1: tenant is empty'],
    ['acme=a,acme=b', 'entry 2: duplicate tenant "acme"'],
    ['acme=a:b', 'entry 1: domain "a:b" is not a name'],
    ['__proto__=evil', 'entry 1: tenant "__proto__" is not a name'],
  ])('when given %j, it is refused with "%s"', (raw, message) => {
    expect(() => TenantDomainMap.parse(raw)).toThrow(message);
  });

  it('when several entries are bad, every one is named', () => {
    expect(() => TenantDomainMap.parse('a=b,,c,a=d')).toThrow(
      'entry 2 is empty, entry 3 "c" is not tenant=domain, entry 4: duplicate tenant "a"',
    );
  });

  it('when a tenant is named like an Object prototype member, nothing leaks from the prototype', () => {
    const map = TenantDomainMap.parse('constructor=east');
    expect(map.domainFor('constructor')).toBe('east');
    expect(map.domainFor('toString')).toBeUndefined();
    expect(map.domainFor('hasOwnProperty')).toBeUndefined();
  });
});
