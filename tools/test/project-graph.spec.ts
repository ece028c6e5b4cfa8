import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const APPS = ['supervisor', 'env-runner', 'orchestrator'];

interface Graph {
  graph: {
    nodes: Record<string, { type: string; data: { tags?: string[]; targets?: Record<string, unknown> } }>;
    dependencies: Record<string, Array<{ target: string }>>;
  };
}

describe('project graph', () => {
  let graph: Graph['graph'];

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-graph-'));
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['graph', `--file=${join(dir, 'graph.json')}`], {
        cwd: ROOT,
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
        stdio: 'pipe',
      });
      graph = (JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')) as Graph).graph;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const projects = (): string[] => Object.keys(graph.nodes);
  const tags = (p: string): string[] => graph.nodes[p]?.data.tags ?? [];

  it('when the graph is built, the three apps exist, each with build, serve, test, typecheck and lint', () => {
    for (const app of APPS) {
      expect(tags(app)).toContain('type:app');
      expect(Object.keys(graph.nodes[app]?.data.targets ?? {})).toEqual(
        expect.arrayContaining(['build', 'serve', 'test', 'typecheck', 'lint']),
      );
    }
  });

  it('when any project is read, it has a test target (faults for the fault tests) and a build or typecheck target', () => {
    for (const p of projects()) {
      const targets = Object.keys(graph.nodes[p]?.data.targets ?? {});
      expect({
        p,
        test: targets.includes(p === 'faults' ? 'faults' : 'test'),
        check: targets.includes('build') || targets.includes('typecheck'),
      }).toEqual({ p, test: true, check: true });
    }
  });

  it('when npm test runs, it runs the faults target beside lint, typecheck and test', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['test']).toMatch(/nx run-many -t lint typecheck test faults\b/);
  });

  it('when edges are listed, apps point only at libs and libs never at apps', () => {
    const edges = Object.entries(graph.dependencies).flatMap(([from, deps]) =>
      deps.filter((d) => graph.nodes[d.target]).map((d) => [from, d.target] as const),
    );
    expect(edges.length).toBeGreaterThan(0);
    for (const [from, to] of edges) {
      expect({ from, to, targetIsLib: tags(to).includes('type:lib') }).toEqual({ from, to, targetIsLib: true });
    }
    for (const app of APPS) {
      const deps = (graph.dependencies[app] ?? []).map((d) => d.target);
      expect(deps).toEqual(expect.arrayContaining(['config', 'logging', 'metrics-schema', 'service-kit']));
    }
  });
});
