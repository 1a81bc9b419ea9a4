import { fingerprint, groupBy, type ListedFile, type PlannedShard, shardKey } from './plan-types.js';
import type { PartitionConfig } from './schemas.js';

/** File extensions whose imports by_dag_depth follows. */
export const SCRIPT_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export const isScript = (path: string): boolean =>
  SCRIPT_EXTENSIONS.some((e) => path.endsWith(e)) && !/\.d\.[cm]?ts$/.test(path);

/**
 * Strongly connected components (Tarjan, iterative), so an import cycle becomes one node whose
 * members share a depth. Components are numbered dependencies first.
 */
class Tarjan {
  readonly component = new Map<string, number>();
  readonly #index = new Map<string, number>();
  readonly #low = new Map<string, number>();
  readonly #stack: string[] = [];
  readonly #onStack = new Set<string>();
  #counter = 0;
  #count = 0;

  constructor(private readonly deps: ReadonlyMap<string, readonly string[]>) {}

  run(nodes: readonly string[]): Map<string, number> {
    for (const node of nodes) if (!this.#index.has(node)) this.#from(node);
    return this.component;
  }

  #enter(v: string): void {
    this.#index.set(v, this.#counter);
    this.#low.set(v, this.#counter++);
    this.#stack.push(v);
    this.#onStack.add(v);
  }

  #lower(v: string, value: number): void {
    this.#low.set(v, Math.min(this.#low.get(v) as number, value));
  }

  #from(start: string): void {
    this.#enter(start);
    const work: [string, number][] = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1] as [string, number];
      const [v, i] = frame;
      const edges = this.deps.get(v) ?? [];
      if (i < edges.length) {
        frame[1] = i + 1;
        const w = edges[i] as string;
        if (!this.#index.has(w)) {
          this.#enter(w);
          work.push([w, 0]);
        } else if (this.#onStack.has(w)) this.#lower(v, this.#index.get(w) as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) this.#lower(parent[0], this.#low.get(v) as number);
      if (this.#low.get(v) === this.#index.get(v)) this.#close(v);
    }
  }

  #close(root: string): void {
    for (;;) {
      const w = this.#stack.pop() as string;
      this.#onStack.delete(w);
      this.component.set(w, this.#count);
      if (w === root) break;
    }
    this.#count++;
  }
}

const components = (nodes: readonly string[], deps: ReadonlyMap<string, readonly string[]>) =>
  new Tarjan(deps).run(nodes);

/**
 * Dependency depth of every node: 0 when it imports nothing inside the graph, else one more
 * than its deepest dependency; the members of an import cycle share one depth. Tarjan emits
 * components in reverse topological order (dependencies first), which makes one pass enough.
 */
export const dependencyDepths = (
  nodes: readonly string[],
  deps: ReadonlyMap<string, readonly string[]>,
): Map<string, number> => {
  const component = components(nodes, deps);
  const members = new Map<number, string[]>();
  for (const [node, c] of component) members.set(c, [...(members.get(c) ?? []), node]);
  const depthOf = new Map<number, number>();
  const order = [...members.keys()].sort((a, b) => a - b);
  for (const c of order) {
    let depth = 0;
    for (const node of members.get(c) ?? []) {
      for (const dep of deps.get(node) ?? []) {
        const dc = component.get(dep) as number;
        if (dc !== c) depth = Math.max(depth, (depthOf.get(dc) as number) + 1);
      }
    }
    depthOf.set(c, depth);
  }
  return new Map(nodes.map((n) => [n, depthOf.get(component.get(n) as number) as number]));
};

/**
 * by_dag_depth: the JS/TS modules layered by dependency depth, one shard per layer. Every
 * module of layer k imports only modules of layers < k (or of its own import cycle).
 * `deps` holds each module's imports that resolve to modules of the listing.
 */
export const planByDagDepth = (
  files: readonly ListedFile[],
  config: PartitionConfig,
  deps: ReadonlyMap<string, readonly string[]>,
): PlannedShard[] => {
  const scripts = files.filter((f) => isScript(f.path));
  const known = new Set(scripts.map((f) => f.path));
  const inside = new Map(scripts.map((f) => [f.path, (deps.get(f.path) ?? []).filter((d) => known.has(d))]));
  const depths = dependencyDepths(
    scripts.map((f) => f.path),
    inside,
  );
  const label = (f: ListedFile) => String(depths.get(f.path) ?? 0).padStart(6, '0');
  return groupBy(scripts, label).map(([padded, group], i) => {
    const depth = Number(padded);
    return {
      key: shardKey(i, `depth-${depth}`),
      input: {
        module: `depth-${depth}`,
        stage_kind: config.stage_kind,
        depth,
        files: group.length,
        files_sha256: fingerprint(group),
      },
      members: group.map((f) => f.path),
    };
  });
};
