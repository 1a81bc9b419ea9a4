/**
 * Summarizes a `.cpuprofile` (V8 sampling profile): self time by function and by package
 * (nats, lmdb/msgpackr, zod, xstate, Lily's own code by directory, GC, idle, ...). Self time of
 * a sample is the time until the next sample, as DevTools counts it.
 *
 * By package, the time of Node's internals and of native code (fs and socket bindings, lmdb's
 * addon, TextEncoder, ...) goes to the nearest caller that is a package or Lily's code: an
 * fsync or `openFileHandle` under the projector counts for Lily's `actors/engine`, lmdb's native
 * write for lmdb. `byLeaf` keeps the plain leaf categories.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  ms: number;
  /** Share of the profiled wall time. */
  pct: number;
  /** Share of the busy time (wall time minus idle). */
  pctBusy: number;
}
export interface FunctionShare extends Share {
  category: string;
  where: string;
}
export interface ProfileSummary {
  wallMs: number;
  busyMs: number;
  samples: number;
  /** Self time by package, Node internals and native code counted for their caller. */
  byCategory: Share[];
  /** Self time by the category of the sampled frame itself. */
  byLeaf: Share[];
  byLilyDir: Share[];
  /**
   * Time with a Lily module anywhere on the (synchronous) stack, by module: what a module and
   * everything it calls cost. Work resumed after an `await` counts for the async function
   * resumed, not for its original caller.
   */
  inclusiveLilyModules: Share[];
  topFunctions: FunctionShare[];
}

const PACKAGE_CATEGORY: [RegExp, string][] = [
  [/^@nats-io\//, 'nats'],
  [/^(lmdb|msgpackr|msgpackr-extract|ordered-binary|weak-lru-cache)$/, 'lmdb/msgpackr'],
  [/^zod$/, 'zod'],
  [/^xstate$/, 'xstate'],
  [/^(pino|pino-.*|sonic-boom|thread-stream|on-exit-leak-free|quick-format-unescaped|fast-redact)$/, 'pino'],
  [/^(tsx|esbuild|get-tsconfig)$/, 'tsx (loader)'],
  [/^(bullmq|ioredis|@ioredis\/.*|cluster-key-slot|denque)$/, 'bullmq/ioredis'],
];

const packageOf = (path: string): string | undefined => {
  const i = path.lastIndexOf('/node_modules/');
  if (i < 0) return undefined;
  const rest = path.slice(i + '/node_modules/'.length).split('/');
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
};

/** The category of a call frame, and for Lily's code its directory under src/. */
export const categorize = (frame: CallFrame): { category: string; lilyDir?: string } => {
  const fn = frame.functionName;
  if (fn === '(garbage collector)') return { category: 'GC' };
  if (fn === '(idle)') return { category: 'idle' };
  if (fn === '(program)') return { category: 'program (native, unattributed)' };
  if (fn === '(root)') return { category: 'root' };
  const path = frame.url.replace(/^file:\/\//, '');
  if (path === '') return { category: 'V8/native builtins' };
  if (path.startsWith('node:')) return { category: 'node internals' };
  const pkg = packageOf(path);
  if (pkg !== undefined) {
    for (const [re, cat] of PACKAGE_CATEGORY) if (re.test(pkg)) return { category: cat };
    return { category: `package ${pkg}` };
  }
  const src = /\/(src|dist)\/(.+)$/.exec(path);
  if (src) {
    const dir = (src[2] ?? '').split('/').slice(0, 2);
    const lilyDir = dir.length > 1 && !(dir[1] ?? '').includes('.') ? dir.join('/') : (dir[0] ?? '');
    return { category: 'lily', lilyDir: lilyDir.replace(/\.[jt]s$/, '') };
  }
  if (/\/bench\//.test(path)) return { category: 'bench (load client, probes)' };
  return { category: 'other' };
};

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** Categories whose time belongs to their caller. */
const PASS_THROUGH = new Set(['V8/native builtins', 'node internals']);

/** Adds `us` under `key`. */
const tally = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

/** The call tree of a profile: nodes by id, parents, and what each node's time is counted for. */
const callTree = (profile: Profile) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, { category: string; lilyDir?: string }>();
  const ownerOf = (id: number): { category: string; lilyDir?: string } => {
    const known = owner.get(id);
    if (known) return known;
    const node = byId.get(id);
    const own = node ? categorize(node.callFrame) : { category: 'other' };
    const up = parent.get(id);
    const result = PASS_THROUGH.has(own.category) && up !== undefined ? ownerOf(up) : own;
    // A chain of internals with no package or Lily caller keeps its own category.
    const out = result.category === 'root' ? own : result;
    owner.set(id, out);
    return out;
  };
  /** The Lily modules on a node's stack (`actors/engine/outbox`, ...). */
  const modulesOn = (id: number): Set<string> => {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const m = /\/(?:src|dist)\/(.+)\.[jt]s$/.exec(byId.get(at)?.callFrame.url ?? '');
      if (m?.[1] !== undefined) seen.add(m[1]);
    }
    return seen;
  };
  /** A function's name and place; a native one is named after its caller. */
  const describe = (id: number, f: CallFrame) => {
    const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|src|dist|bench)\//, '$1/');
    const up = parent.get(id);
    const caller = up === undefined ? undefined : byId.get(up)?.callFrame.functionName;
    return {
      name: f.functionName || `(native${caller ? `, from ${caller}` : ''})`,
      where: file === '' ? '' : `${file}:${f.lineNumber + 1}`,
    };
  };
  return { byId, ownerOf, modulesOn, describe };
};

/** Self time per node: timeDeltas[i] is the time from sample i-1 to i, so sample i lasts timeDeltas[i + 1]. */
const selfTimes = (profile: Profile): Map<number, number> => {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return self;
};

export const summarizeProfile = (profile: Profile, top = 20): ProfileSummary => {
  const tree = callTree(profile);
  const inclusive = new Map<string, number>();
  const cats = new Map<string, number>();
  const leaves = new Map<string, number>();
  const dirs = new Map<string, number>();
  const fns = new Map<string, { us: number; category: string; name: string; where: string }>();
  let totalUs = 0;
  for (const [id, us] of selfTimes(profile)) {
    const node = tree.byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { category } = categorize(node.callFrame);
    const owned = tree.ownerOf(id);
    for (const mod of tree.modulesOn(id)) tally(inclusive, mod, us);
    tally(leaves, category, us);
    tally(cats, owned.category, us);
    if (owned.lilyDir !== undefined) tally(dirs, owned.lilyDir, us);
    const { name, where } = tree.describe(id, node.callFrame);
    const key = `${name}\u0000${where}`;
    const entry = fns.get(key) ?? { us: 0, category, name, where };
    entry.us += us;
    fns.set(key, entry);
  }
  const busyUs = Math.max(1, totalUs - (leaves.get('idle') ?? 0));
  const share = (name: string, us: number): Share => ({
    name,
    ms: round(us / 1000),
    pct: round((100 * us) / Math.max(1, totalUs)),
    pctBusy: name === 'idle' ? 0 : round((100 * us) / busyUs),
  });
  const shares = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => share(name, us));
  return {
    wallMs: round(totalUs / 1000),
    busyMs: round(busyUs / 1000),
    samples: profile.samples.length,
    byCategory: shares(cats),
    byLeaf: shares(leaves),
    byLilyDir: shares(dirs),
    inclusiveLilyModules: shares(inclusive).slice(0, top),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .filter((f) => f.category !== 'idle')
      .slice(0, top)
      .map((f) => ({ ...share(f.name, f.us), category: f.category, where: f.where })),
  };
};

export const summarizeProfileFile = (file: string, top?: number): ProfileSummary =>
  summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, top);
