/**
 * A small layered (Sugiyama-style) layout for the graphs the console draws: a run's plan
 * (steps and needs, routes), a step's lifecycle in the run machine, an artifact's lineage.
 * Left to right: a node's layer is the longest path to it over forward edges; edges that close
 * a cycle (found by depth-first search in the given node order) are drawn as back edges below
 * the nodes. Within a layer, nodes are ordered by the barycenter of their neighbours (two
 * sweeps). Pure and deterministic: the same graph always gets the same picture.
 */

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
}

export interface PlacedNode extends LayoutNode {
  x: number;
  y: number;
  layer: number;
}

export interface PlacedEdge extends LayoutEdge {
  /** True for an edge that closes a cycle (drawn as a loop under the nodes). */
  back: boolean;
  /** An SVG path (`d`) from the source's side to the target's side. */
  path: string;
  /** Where a label sits: the middle of the edge. */
  labelAt: { x: number; y: number };
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

const backEdges = (ids: string[], out: Map<string, string[]>): Set<string> => {
  const back = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string) => {
    state.set(id, 'open');
    for (const to of out.get(id) ?? []) {
      const s = state.get(to);
      if (s === 'open') back.add(`${id}\u0000${to}`);
      else if (s === undefined) visit(to);
    }
    state.set(id, 'done');
  };
  for (const id of ids) if (!state.has(id)) visit(id);
  return back;
};

const layersOf = (ids: string[], forward: LayoutEdge[]): Map<string, number> => {
  const layer = new Map(ids.map((id) => [id, 0]));
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const e of forward) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const e of forward) {
      if (e.from !== id) continue;
      layer.set(e.to, Math.max(layer.get(e.to) ?? 0, (layer.get(id) ?? 0) + 1));
      const left = (indegree.get(e.to) ?? 0) - 1;
      indegree.set(e.to, left);
      if (left === 0) queue.push(e.to);
    }
  }
  return layer;
};

const orderLayers = (columns: string[][], forward: LayoutEdge[]): void => {
  const position = new Map<string, number>();
  for (const col of columns) {
    for (const [i, id] of col.entries()) position.set(id, i);
  }
  const sweep = (neighbours: (id: string) => string[], cols: string[][]) => {
    for (const col of cols) {
      const bary = new Map(
        col.map((id, i) => {
          const ps = neighbours(id).map((n) => position.get(n) ?? 0);
          return [id, ps.length > 0 ? ps.reduce((a, b) => a + b, 0) / ps.length : i] as const;
        }),
      );
      col.sort((a, b) => (bary.get(a) ?? 0) - (bary.get(b) ?? 0));
      for (const [i, id] of col.entries()) position.set(id, i);
    }
  };
  const preds = (id: string) => forward.filter((e) => e.to === id).map((e) => e.from);
  const succs = (id: string) => forward.filter((e) => e.from === id).map((e) => e.to);
  sweep(preds, columns.slice(1));
  sweep(succs, columns.slice(0, -1).reverse());
};

/** A smooth path through `points`, leaving and entering each horizontally. */
const smooth = (points: { x: number; y: number }[]): string => {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  let prev = first;
  for (const q of rest) {
    const mx = (prev.x + q.x) / 2;
    d += ` C${mx},${prev.y} ${mx},${q.y} ${q.x},${q.y}`;
    prev = q;
  }
  return d;
};

/** Node ids of the chain an edge spanning several layers passes through (one per layer between). */
const dummyId = (e: LayoutEdge, i: number) => `\u0000${e.from}\u0000${e.to}\u0000${i}`;

/** Lays out `nodes` (in the order given) and `edges`; edges naming unknown nodes are dropped. */
export const layered = (
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  o: { gapX?: number; gapY?: number; margin?: number } = {},
): Layout => {
  const gapX = o.gapX ?? 56;
  const gapY = o.gapY ?? 18;
  const margin = o.margin ?? 12;
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const valid = edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
  const out = new Map<string, string[]>();
  for (const e of valid) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const back = backEdges(ids, out);
  const isBack = (e: LayoutEdge) => back.has(`${e.from}\u0000${e.to}`);
  const forward = valid.filter((e) => !isBack(e));
  const layer = layersOf(ids, forward);
  const depth = Math.max(0, ...layer.values()) + 1;
  const columns: string[][] = Array.from({ length: depth }, () => []);
  for (const id of ids) columns[layer.get(id) ?? 0]?.push(id);
  // Long edges get a chain of zero-width nodes, so they are routed around the layers they cross.
  const chains = new Map<LayoutEdge, string[]>();
  const segments: LayoutEdge[] = [];
  const byId = new Map<string, LayoutNode>(nodes.map((n) => [n.id, n]));
  for (const e of forward) {
    const from = layer.get(e.from) ?? 0;
    const to = layer.get(e.to) ?? 0;
    const chain: string[] = [];
    for (let l = from + 1; l < to; l++) {
      const id = dummyId(e, l);
      chain.push(id);
      columns[l]?.push(id);
      byId.set(id, { id, width: 0, height: 4 });
    }
    chains.set(e, chain);
    const path = [e.from, ...chain, e.to];
    for (let i = 1; i < path.length; i++)
      segments.push({ from: path[i - 1] as string, to: path[i] as string });
  }
  orderLayers(columns, segments);

  const colWidth = columns.map((col) => Math.max(0, ...col.map((id) => byId.get(id)?.width ?? 0)));
  const colHeight = columns.map(
    (col) => col.reduce((h, id) => h + (byId.get(id)?.height ?? 0), 0) + gapY * Math.max(0, col.length - 1),
  );
  const tallest = Math.max(0, ...colHeight);
  const placed = new Map<string, PlacedNode>();
  let x = margin;
  for (const [c, col] of columns.entries()) {
    let y = margin + (tallest - (colHeight[c] ?? 0)) / 2;
    for (const id of col) {
      const n = byId.get(id) as LayoutNode;
      placed.set(id, { ...n, x: x + ((colWidth[c] ?? 0) - n.width) / 2, y, layer: c });
      y += n.height + gapY;
    }
    x += (colWidth[c] ?? 0) + gapX;
  }
  const top = margin;
  let loops = 0;
  const placedEdges = valid.map((e): PlacedEdge => {
    const a = placed.get(e.from) as PlacedNode;
    const b = placed.get(e.to) as PlacedNode;
    if (!isBack(e)) {
      const via = (chains.get(e) ?? []).map((id) => {
        const d = placed.get(id) as PlacedNode;
        return { x: d.x, y: d.y + d.height / 2 };
      });
      const points = [{ x: a.x + a.width, y: a.y + a.height / 2 }, ...via, { x: b.x, y: b.y + b.height / 2 }];
      const mid = points[Math.floor((points.length - 1) / 2)] as { x: number; y: number };
      const next = points[Math.floor((points.length - 1) / 2) + 1] as { x: number; y: number };
      return {
        ...e,
        back: false,
        path: smooth(points),
        labelAt: { x: (mid.x + next.x) / 2, y: (mid.y + next.y) / 2 },
      };
    }
    // A back edge arcs over the graph, from the top of its source to the top of its target.
    loops += 1;
    const rise = 16 + 10 * loops;
    const x1 = a.x + a.width / 2;
    const x2 = b.x + b.width / 2;
    const y1 = a.y;
    const y2 = b.y;
    const peak = Math.min(y1, y2) - rise;
    const path = `M${x1},${y1} C${x1},${peak} ${x2},${peak} ${x2},${y2}`;
    return { ...e, back: true, path, labelAt: { x: (x1 + x2) / 2, y: peak + rise / 4 } };
  });
  // Room above the nodes for the arcs of back edges.
  const lift = loops > 0 ? 16 + 10 * loops : 0;
  const shift = (n: PlacedNode): PlacedNode => ({ ...n, y: n.y + lift });
  return {
    nodes: ids.map((id) => shift(placed.get(id) as PlacedNode)),
    edges: placedEdges.map((e) => ({
      ...e,
      path: shiftPath(e.path, lift),
      labelAt: { x: e.labelAt.x, y: e.labelAt.y + lift },
    })),
    width: Math.max(x - gapX + margin, margin * 2),
    height: top + tallest + margin + lift,
  };
};

/** Moves every y of an SVG path (absolute M and C commands only) down by `dy`. */
const shiftPath = (d: string, dy: number): string =>
  dy === 0 ? d : d.replace(/(-?[\d.]+),(-?[\d.]+)/g, (_m, x: string, y: string) => `${x},${Number(y) + dy}`);
