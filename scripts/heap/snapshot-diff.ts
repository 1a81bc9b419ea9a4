/**
 * Diffs two V8 heap snapshots of one process (`.heapsnapshot`, taken with node:v8
 * `writeHeapSnapshot` or `--heapsnapshot-signal`; both force a full GC first). Object ids are
 * stable within a process, so the objects of B whose ids are not in A are the ones allocated
 * between the two and still alive. Prints them grouped by kind and constructor (count, self
 * bytes), and for the largest groups the shortest retainer path from the GC roots of one sample.
 *
 *   npx tsx scripts/heap/snapshot-diff.ts <a.heapsnapshot> <b.heapsnapshot> [top]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Heap {
  s: Snapshot;
  nodeFields: number;
  edgeFields: number;
  firstEdge: Int32Array;
  count: number;
}

const load = (file: string): Heap => {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nodeFields = s.snapshot.meta.node_fields.length;
  const edgeFields = s.snapshot.meta.edge_fields.length;
  const count = s.nodes.length / nodeFields;
  const firstEdge = new Int32Array(count + 1);
  const ec = s.snapshot.meta.node_fields.indexOf('edge_count');
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (s.nodes[i * nodeFields + ec] as number) * edgeFields;
    firstEdge[i + 1] = e;
  }
  return { s, nodeFields, edgeFields, firstEdge, count };
};

const field = (h: Heap, i: number, name: string): number =>
  h.s.nodes[i * h.nodeFields + h.s.snapshot.meta.node_fields.indexOf(name)] as number;
const kind = (h: Heap, i: number): string => h.s.snapshot.meta.node_types[0][field(h, i, 'type')] ?? '?';
const label = (h: Heap, i: number): string => {
  const k = kind(h, i);
  const name = h.s.strings[field(h, i, 'name')] ?? '';
  return k === 'object' || k === 'closure' || k === 'native'
    ? `${k}:${name}`
    : k === 'string'
      ? 'string'
      : `${k}:${name.slice(0, 40)}`;
};

const [fileA, fileB, topArg] = process.argv.slice(2);
if (!fileA || !fileB) {
  process.stderr.write('usage: snapshot-diff.ts <a.heapsnapshot> <b.heapsnapshot> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const a = load(fileA);
const idsA = new Set<number>();
for (let i = 0; i < a.count; i++) idsA.add(field(a, i, 'id'));
a.s.nodes = [];
const b = load(fileB);

const groups = new Map<string, { count: number; bytes: number; sample: number }>();
let newBytes = 0;
for (let i = 0; i < b.count; i++) {
  if (idsA.has(field(b, i, 'id'))) continue;
  const key = label(b, i);
  const size = field(b, i, 'self_size');
  newBytes += size;
  const g = groups.get(key) ?? { count: 0, bytes: 0, sample: i };
  g.count += 1;
  g.bytes += size;
  groups.set(key, g);
}

// Shortest paths from the root over strong edges (breadth first).
const edgeTypes = b.s.snapshot.meta.edge_types[0];
const weak = edgeTypes.indexOf('weak');
const toField = b.s.snapshot.meta.edge_fields.indexOf('to_node');
const nameField = b.s.snapshot.meta.edge_fields.indexOf('name_or_index');
const typeField = b.s.snapshot.meta.edge_fields.indexOf('type');
const parent = new Int32Array(b.count).fill(-1);
const parentEdge = new Int32Array(b.count).fill(-1);
parent[0] = 0;
const queue = [0];
for (let q = 0; q < queue.length; q++) {
  const n = queue[q] as number;
  for (let e = b.firstEdge[n] as number; e < (b.firstEdge[n + 1] as number); e += b.edgeFields) {
    if (b.s.edges[e + typeField] === weak) continue;
    const to = (b.s.edges[e + toField] as number) / b.nodeFields;
    if (parent[to] !== -1) continue;
    parent[to] = n;
    parentEdge[to] = e;
    queue.push(to);
  }
}
const edgeName = (e: number): string => {
  const t = edgeTypes[b.s.edges[e + typeField] as number];
  const v = b.s.edges[e + nameField] as number;
  return t === 'element' || t === 'hidden' ? `[${v}]` : (b.s.strings[v] ?? `#${v}`);
};
/** The retainer path of node i, root-ward, with runs of one repeated step folded (`xN`). */
const path = (i: number): string => {
  const steps: { step: string; times: number }[] = [];
  for (let n = i; n !== 0 && parent[n] !== -1 && steps.length < 40; n = parent[n] as number) {
    const step = `${label(b, n)} <-${edgeName(parentEdge[n] as number)}-`;
    const last = steps.at(-1);
    if (last?.step === step) last.times += 1;
    else steps.push({ step, times: 1 });
  }
  return steps.map((s) => (s.times > 1 ? `(${s.step}) x${s.times}` : s.step)).join(' ');
};

const sorted = [...groups].sort((x, y) => y[1].bytes - x[1].bytes);
process.stdout.write(
  `new objects alive in B: ${[...groups.values()].reduce((s, g) => s + g.count, 0)}, ${newBytes} bytes (self)\n`,
);
for (const [key, g] of sorted.slice(0, top)) {
  process.stdout.write(`${String(g.bytes).padStart(10)} B ${String(g.count).padStart(8)}  ${key}\n`);
  process.stdout.write(`           ${path(g.sample).slice(0, 900)}\n`);
}

// The same new objects, grouped by who holds them: the first hops of their retainer path.
const hops = Number(process.env.HOPS ?? 4);
const holders = new Map<string, { count: number; bytes: number }>();
for (let i = 0; i < b.count; i++) {
  if (idsA.has(field(b, i, 'id'))) continue;
  const steps: string[] = [];
  for (let n = i; n !== 0 && parent[n] !== -1 && steps.length < hops; n = parent[n] as number) {
    steps.push(`${label(b, n)} <-${edgeName(parentEdge[n] as number)}-`);
  }
  const key = steps.join(' ');
  const h = holders.get(key) ?? { count: 0, bytes: 0 };
  h.count += 1;
  h.bytes += field(b, i, 'self_size');
  holders.set(key, h);
}
process.stdout.write('\nby holder:\n');
for (const [key, h] of [...holders].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, top)) {
  process.stdout.write(
    `${String(h.bytes).padStart(10)} B ${String(h.count).padStart(8)}  ${key.slice(0, 400)}\n`,
  );
}
