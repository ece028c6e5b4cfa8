import { graphlib, layout } from '@dagrejs/dagre';

/** The size of a task's box in the graph, in SVG user units. */
export const NODE_WIDTH = 176;
export const NODE_HEIGHT = 66;

export interface PlacedNode {
  readonly id: string;
  /** The box's top-left corner. */
  readonly x: number;
  readonly y: number;
}

export interface PlacedEdge {
  readonly from: string;
  readonly to: string;
  /** An SVG path (`M x y L x y …`) from the dependency to the task that depends on it. */
  readonly path: string;
}

export interface GraphLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

const MARGIN = 16;

/**
 * Lays a task graph out left to right with dagre: `edges` are [dependency, dependent] pairs; pairs naming
 * an unknown task are left out, and tasks keep their given order within a rank where dagre allows.
 */
export function layoutGraph(ids: readonly string[], edges: ReadonlyArray<readonly [string, string]>): GraphLayout {
  const g = new graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 48, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  const known = new Set(ids);
  for (const id of ids) g.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const kept = edges.filter(([from, to]) => from !== to && known.has(from) && known.has(to));
  for (const [from, to] of kept) g.setEdge(from, to);
  layout(g);
  const nodes = ids.map((id): PlacedNode => {
    const n = g.node(id) as { x: number; y: number };
    return { id, x: n.x - NODE_WIDTH / 2, y: n.y - NODE_HEIGHT / 2 };
  });
  const placed = kept.map(([from, to]): PlacedEdge => {
    const points = (g.edge(from, to) as { points?: Array<{ x: number; y: number }> }).points ?? [];
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)} ${round(p.y)}`).join(' ');
    return { from, to, path };
  });
  const label = g.graph() as { width?: number; height?: number };
  return {
    nodes,
    edges: placed,
    width: Math.ceil(label.width ?? 0),
    height: Math.ceil(label.height ?? 0),
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;
