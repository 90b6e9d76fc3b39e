// Auto-layout with dagre: left to right, the trigger first, ranks by dependency.
import dagre from '@dagrejs/dagre';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 64;
export const PORT_ROW = 22;

export interface LayoutNode {
  id: string;
  /** Number of output ports (0 or 1: a single output). */
  ports?: number;
}

export interface LayoutEdge {
  source: string;
  target: string;
}

export interface Size {
  width: number;
  height: number;
}

export function nodeSize(ports = 0): Size {
  const height = ports > 1 ? Math.max(NODE_HEIGHT, 38 + ports * PORT_ROW) : NODE_HEIGHT;
  return { width: NODE_WIDTH, height };
}

/** Top-left positions of every node, so that no two overlap. */
export function autoLayout(nodes: LayoutNode[], edges: LayoutEdge[]): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 64, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { ...nodeSize(n.ports) });
  const ids = new Set(nodes.map((n) => n.id));
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const laid = g.node(n.id);
    const size = nodeSize(n.ports);
    // dagre gives centres; xyflow wants top-left corners. Round for tidy YAML.
    out.set(n.id, { x: Math.round(laid.x - size.width / 2), y: Math.round(laid.y - size.height / 2) });
  }
  return out;
}
