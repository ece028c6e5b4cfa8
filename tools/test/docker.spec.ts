import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateManifest } from '@mesh/mesh-protocol';
import { manifestFromCompose } from '../manifest';

const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILES = ['docker/compose.yaml', 'docker/lightweight/compose.yaml'];

interface Service {
  image?: string;
  build?: { args?: Record<string, string> };
  ports?: string[];
  container_name?: string;
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
  networks?: Record<string, { aliases?: string[] }>;
  command?: string[];
  init?: boolean;
}

/** The compose file as docker-compose resolves it (anchors merged, variables substituted). */
function resolved(file: string): { services: Record<string, Service> } {
  const r = spawnSync('docker-compose', ['-f', file, 'config'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw new Error(`docker-compose is required (Debian package "docker-compose"): ${r.error.message}`);
  if (r.status !== 0) throw new Error(r.stderr);
  return parse(r.stdout) as { services: Record<string, Service> };
}

describe('compose files', () => {
  it.each(COMPOSE_FILES)('when %s is validated, docker-compose config accepts it', (file) => {
    const r = spawnSync('docker-compose', ['-f', file, 'config', '-q'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });

  it("when the full mesh is read, every service is named after its app with the primer's host name as alias, healthy before its dependants start", () => {
    const { services } = resolved('docker/compose.yaml');
    expect(Object.keys(services).sort()).toEqual([
      'env-runner',
      'grafana',
      'orchestrator',
      'prometheus',
      'redis',
      'supervisor',
    ]);
    expect(services['supervisor']?.networks?.['mesh']?.aliases).toEqual(['stream-supervisor']);
    expect(services['env-runner']?.networks?.['mesh']?.aliases).toEqual(['rust-env-runner']);
    expect(services['orchestrator']?.networks?.['mesh']?.aliases).toEqual(['go-orchestrator']);
    for (const [name, svc] of Object.entries(services)) {
      expect({ name, healthcheck: Boolean(svc.healthcheck) }).toEqual({ name, healthcheck: true });
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {}))
        expect({ name, dep, condition }).toEqual({ name, dep, condition: 'service_healthy' });
    }
    for (const app of ['supervisor', 'env-runner', 'orchestrator']) {
      expect(services[app]?.build?.args?.['APP']).toBe(app);
      expect(services[app]?.init).toBe(true);
    }
  });

  it('when the env runner is read, it can be scaled: no fixed container name and no host port', () => {
    const runner = resolved('docker/compose.yaml').services['env-runner'];
    expect(runner?.container_name).toBeUndefined();
    expect(runner?.ports).toBeUndefined();
  });

  it('when docker-compose runs from the repository root without -f, the root .env gives it the full mesh, and every mesh/* image in each compose file is built from the repo', () => {
    const r = spawnSync('docker-compose', ['config'], { cwd: ROOT, encoding: 'utf8' });
    expect({ status: r.status, stderr: r.stderr.trim() }).toEqual({ status: 0, stderr: '' });
    const { services } = parse(r.stdout) as { services: Record<string, Service> };
    expect(Object.keys(services).sort()).toEqual(Object.keys(resolved('docker/compose.yaml').services).sort());
    for (const file of COMPOSE_FILES)
      for (const [name, svc] of Object.entries(resolved(file).services))
        if (svc.image?.startsWith('mesh/'))
          expect({ file, name, build: Boolean(svc.build) }).toEqual({ file, name, build: true });
  });

  it('when Redis is read, it persists with AOF and never evicts', () => {
    const cmd = resolved('docker/compose.yaml').services['redis']?.command?.join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });
});

describe('mesh manifest', () => {
  it('when docker/lightweight/mesh-services.json is read, it equals what the tool derives from its compose file (run `npm run generate`)', () => {
    const committed = JSON.parse(
      readFileSync(join(ROOT, 'docker', 'lightweight', 'mesh-services.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(manifestFromCompose(join(ROOT, 'docker', 'lightweight', 'compose.yaml')));
    expect(validateManifest(committed).ok).toBe(true);
  });

  it('when the manifest is read, it lists services, ports, metric paths, both domains and the tenant override', () => {
    const m = manifestFromCompose(join(ROOT, 'docker', 'lightweight', 'compose.yaml'));
    expect(m.services.map((s) => [s.name, s.host, s.port, s.metricsPath, s.domain ?? null])).toEqual([
      ['supervisor', 'stream-supervisor', 9098, '/metrics', null],
      ['env-runner', 'rust-env-runner', 8083, '/prometheus', 'default'],
      ['env-runner-gpu', 'rust-env-runner-gpu', 8083, '/prometheus', 'gpu'],
      ['orchestrator', 'go-orchestrator', 9097, '/metrics', null],
    ]);
    expect(m.domains).toEqual(['default', 'gpu']);
    expect(m.tenantOverrides).toEqual([{ tenant: 'acme', domain: 'gpu' }]);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');

  it('when reviewed, it is multi-stage, ships production dependencies only, and runs as a non-root user', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(text).toContain('npm ci --omit=dev');
    const finalStage = text.slice(text.lastIndexOf('\nFROM '));
    expect(finalStage).toMatch(/^USER node$/m);
    expect(finalStage).not.toMatch(/COPY --from=build \/src\/node_modules/);
  });

  it("when reviewed, the orchestrator's image carries the built web console where the bundle looks for it", () => {
    expect(text).toMatch(/if \[ "\$\{APP\}" = orchestrator \]; then[^]*npx nx build console/);
    // dist/main.js + '../console' (defaultConsoleDir) is /app/console.
    expect(text).toMatch(/^COPY --from=build \/src\/dist\/console-files\/ \.\/console\/$/m);
    expect(text).toMatch(/^WORKDIR \/app$/m);
  });

  it('when reviewed, it has a HEALTHCHECK and starts node in exec form so SIGTERM reaches it', () => {
    expect(text).toMatch(/^HEALTHCHECK .*CMD \["node", "healthcheck.js"\]$/m);
    expect(text).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/main.js"\]$/m);
  });
});
