/**
 * The latency budget of one W3 run at a time: where each millisecond between the client's
 * request and its sight of `run.completed` goes, from the probe points of the engine's process
 * (which also holds the load client) and of the worker daemon.
 *
 * The points of one run, in time order, form a chain from `client.send` to `client.completed`;
 * every gap between two consecutive points is one segment, named by the pair (an append's
 * phases, the outbox, a NATS hop, the worker...), so the segments add up to the run's latency
 * exactly. Points off the chain (events republished for tails, the reply to the client, the
 * projector, the scheduler's own sight of the completion) are left out of the chain; the
 * projector is reported on its own. The worker's clock is another process's, so only its
 * durations are used: a dispatch's round trip seen by the engine is split into the worker's
 * time (receive to reply publish, on its clock) and the rest (the NATS hops both ways).
 */
import type { Point } from './timeline.js';

export interface RunWindow {
  runId: string;
  /** When the client sent the request and saw `run.completed` (engine process clock). */
  t0: number;
  t1: number;
}

type Kind =
  | 'client.send'
  | 'client.completed'
  | 'recv.sched'
  | 'recv.in'
  | 'pub.in'
  | 'pub.exec'
  | 'pub.policy'
  | 'pub.completed'
  | 'append.start'
  | 'append.validated'
  | 'append.txn'
  | 'append.written'
  | 'append.committed'
  | 'append.end'
  /** The end of an append whose dispatch left before its flush, reached after the answer came back. */
  | 'append.end.overlapped';

export const SEGMENTS = [
  'request: client → engine (NATS)',
  'admission: load job, prepare run',
  'scheduler: between its two appends',
  'append: validate (zod)',
  'append: wait for the write transaction',
  'append: write (read heads, encode, put)',
  'append: commit and fsync (write thread)',
  'append: resolve after the flush',
  'outbox: publish events and commands',
  'outbox: dispatch before the flush',
  'append: commit and fsync left once the answer is back (overlapped)',
  'scheduler → run host (NATS, in-engine hop)',
  'run host: decode, validate, decide',
  'dispatch: NATS hops to the worker and back',
  'worker: receive, execute, reply',
  'policy round trip',
  'completion → client (NATS)',
] as const;

const APPEND_PHASES: Record<string, string> = {
  'append.start>append.validated': 'append: validate (zod)',
  'append.validated>append.txn': 'append: wait for the write transaction',
  'append.txn>append.written': 'append: write (read heads, encode, put)',
  // The group commit's transaction commits with its fsync before it returns (decision 037), so
  // the commit and the flush are one segment; what follows is only the append's promise resolving.
  // The names are kept from when lmdb-js's write thread committed: baselines compare by name.
  'append.written>append.committed': 'append: commit and fsync (write thread)',
  'append.committed>append.end': 'append: resolve after the flush',
  'append.written>append.end': 'append: commit and fsync (write thread)',
};

/** Segment names by the pair of chain points around them (`a>b`); `pub.*` pairs are matched below. */
const PAIRS: Record<string, string> = {
  'client.send>recv.sched': 'request: client → engine (NATS)',
  'recv.sched>append.start': 'admission: load job, prepare run',
  'append.written>pub.exec': 'outbox: dispatch before the flush',
  'recv.in>append.end.overlapped': 'append: commit and fsync left once the answer is back (overlapped)',
  'append.end.overlapped>append.start': 'run host: decode, validate, decide',
  'append.end>append.start': 'scheduler: between its two appends',
  'pub.in>recv.in': 'scheduler → run host (NATS, in-engine hop)',
  'pub.exec>recv.in': 'dispatch',
  'pub.policy>recv.in': 'policy round trip',
  'recv.in>append.start': 'run host: decode, validate, decide',
  'pub.completed>client.completed': 'completion → client (NATS)',
};

const label = (a: Kind, b: Kind): string => {
  const named = APPEND_PHASES[`${a}>${b}`] ?? PAIRS[`${a}>${b}`];
  if (named) return named;
  if ((a === 'append.end' || a.startsWith('pub.')) && b.startsWith('pub.'))
    return 'outbox: publish events and commands';
  return `other: ${a} → ${b}`;
};

const kindOf = (p: Point, runId: string): Kind | undefined => {
  const k = p.key;
  switch (p.point) {
    case 'client.send':
      return 'client.send';
    case 'client.completed':
      return k === runId ? 'client.completed' : undefined;
    case 'lmdb.committed':
      return k === 'append' ? 'append.committed' : undefined;
    case 'append.start':
    case 'append.validated':
    case 'append.txn':
    case 'append.written':
    case 'append.end':
      return k === `run/${runId}` || k.startsWith('job/') ? (p.point as Kind) : undefined;
    case 'bus.recv':
      if (k.endsWith('.cmd.sched')) return 'recv.sched';
      return k.endsWith(`.in.${runId}`) ? 'recv.in' : undefined;
    case 'bus.pub':
      if (k.endsWith(`.in.${runId}`)) return 'pub.in';
      if (k.includes('.cmd.exec.')) return 'pub.exec';
      if (k.endsWith('.cmd.policy')) return 'pub.policy';
      if (k.includes(runId) && k.endsWith('.run.completed')) return 'pub.completed';
      return undefined;
    default:
      return undefined;
  }
};

interface Link {
  t: number;
  kind: Kind;
}

/**
 * A dispatch published inside an append (before its flush): its round trip and the flush
 * overlap. The chain follows the dispatch, and the flush only for what is left of it once the
 * answer is back (`append.end.overlapped`); returns the link to add, if any, and whether the
 * overlap is over.
 */
class Overlap {
  #answered = false;
  #ended = false;
  /** Takes a point seen while the two overlap. */
  take(p: Point, kind: Kind): { link?: Link; over: boolean } {
    if (kind === 'recv.in' && !this.#answered) {
      this.#answered = true;
      return { link: { t: p.t, kind }, over: this.#ended };
    }
    if (kind !== 'append.end' || this.#ended) return { over: false };
    this.#ended = true;
    return this.#answered ? { link: { t: p.t, kind: 'append.end.overlapped' }, over: true } : { over: false };
  }
}

/** Where the chain is: in an append (of which stream), or between them. */
class ChainState {
  inAppend = false;
  appendKey = '';
  /** Another append's phases (issued beside the chain's) are off the chain. */
  otherAppend(p: Point, kind: Kind): boolean {
    return (
      this.inAppend && kind.startsWith('append.') && kind !== 'append.committed' && p.key !== this.appendKey
    );
  }
  /** Whether a point outside an overlap is on the chain (updating where the chain is). */
  onChain(p: Point, kind: Kind, last: Kind | undefined): boolean {
    if (this.inAppend !== kind.startsWith('append.') && kind !== 'append.start') return false;
    if (kind === 'append.start') {
      if (this.inAppend) return false; // appends do not nest; a second one waits its turn
      this.inAppend = true;
      this.appendKey = p.key;
    }
    if (kind === 'append.end') this.inAppend = false;
    return !(kind === 'recv.in' && last === 'recv.in'); // batched into one append
  }
}

/** The chain of one run (see the module doc). */
export const chainOf = (points: readonly Point[], w: RunWindow): Link[] => {
  const chain: Link[] = [];
  const state = new ChainState();
  let overlap: Overlap | undefined;
  for (const p of points) {
    if (p.t < w.t0 || p.t > w.t1) continue;
    const kind = kindOf(p, w.runId);
    if (kind === undefined || state.otherAppend(p, kind)) continue;
    if (overlap) {
      const { link, over } = overlap.take(p, kind);
      if (kind === 'append.end') state.inAppend = false;
      if (link) chain.push(link);
      if (over) overlap = undefined;
      continue;
    }
    if (kind === 'pub.exec' && state.inAppend && chain.at(-1)?.kind === 'append.written') {
      chain.push({ t: p.t, kind });
      overlap = new Overlap();
      continue;
    }
    if (state.onChain(p, kind, chain.at(-1)?.kind)) chain.push({ t: p.t, kind });
  }
  return chain;
};

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Each dispatch's time in the worker (first reply publish after receipt), in arrival order. */
export const workerDispatchTimes = (worker: readonly Point[]): number[] => {
  const out: number[] = [];
  let received: number | undefined;
  for (const p of worker) {
    if (p.point === 'bus.recv' && p.key.includes('.cmd.exec.')) {
      if (received !== undefined) out.push(Number.NaN); // no reply seen before the next dispatch
      received = p.t;
    } else if (p.point === 'bus.pub' && p.key.includes('.in.') && received !== undefined) {
      out.push(p.t - received);
      received = undefined;
    }
  }
  if (received !== undefined) out.push(Number.NaN);
  return out;
};

/**
 * The segments of one run's chain: every gap by name (a dispatch split into the worker's time,
 * when `workerTime` knows it, and the NATS hops), how many appends ended, and the chain's span.
 */
const runSegments = (
  chain: readonly Link[],
  workerTime: (execPublishedAt: number) => number | undefined,
  commitEnd: (from: number, to: number) => number | undefined,
) => {
  const sum = new Map<string, number[]>();
  /** Inside the dispatches: the time from each dispatch until the engine's commit after it ended. */
  let committingInDispatches = 0;
  const add = (name: string, ms: number) => sum.set(name, [...(sum.get(name) ?? []), ms]);
  let appends = 0;
  let total = 0;
  for (let i = 1; i < chain.length; i++) {
    const a = chain[i - 1] as Link;
    const b = chain[i] as Link;
    const ms = b.t - a.t;
    total += ms;
    if (b.kind === 'append.start') appends += 1;
    const name = label(a.kind, b.kind);
    if (name !== 'dispatch') {
      add(name, ms);
      continue;
    }
    const committed = commitEnd(a.t, b.t);
    if (committed !== undefined) committingInDispatches += committed - a.t;
    const inWorker = workerTime(a.t);
    if (inWorker !== undefined && inWorker <= ms) {
      add('worker: receive, execute, reply', inWorker);
      add('dispatch: NATS hops to the worker and back', ms - inWorker);
    } else add('dispatch: NATS hops to the worker and back', ms);
  }
  return { sum, count: (name: string) => sum.get(name)?.length ?? 0, appends, total, committingInDispatches };
};

export interface BudgetSegment {
  name: string;
  /** How many times the segment occurs in one run (median). */
  perRun: number;
  p50Ms: number;
  meanMs: number;
  /** Share of the mean run latency. */
  sharePct: number;
}

/** A pause of the engine process's main thread for garbage collection (`performance.now()` time). */
export interface GcPause {
  start: number;
  ms: number;
}

/** What the slowest runs spent their time on, next to the typical run (the p99's budget). */
export interface BudgetTail {
  /** Runs at or above the 95th percentile of latency. */
  slowRuns: number;
  /** The latency from which a run counts as slow (its p95), ms. */
  fromMs: number;
  /** Mean latency of the slow runs and of the runs at or below the median, ms. */
  slowMeanMs: number;
  typicalMeanMs: number;
  /** Per segment: its mean per run among the typical runs and among the slow ones, largest excess first. */
  segments: { name: string; typicalMeanMs: number; slowMeanMs: number; excessMs: number }[];
  /**
   * Inside "dispatch: NATS hops": the time from each dispatch until the engine's synchronous
   * commit after it returned (an answer that arrives meanwhile waits), mean ms per run.
   */
  committingInDispatches: { typicalMeanMs: number; slowMeanMs: number };
  /** The engine process's GC pauses inside a run, mean ms per run (undefined when not observed). */
  gc?: { typicalMeanMs: number; slowMeanMs: number };
}

export interface Budget {
  runs: number;
  totalP50Ms: number;
  totalP99Ms: number;
  totalMeanMs: number;
  /** Sum of the segments' means over the mean latency (1 when the chain covers every run). */
  coverage: number;
  segments: BudgetSegment[];
  appendsPerRun: number;
  /** p50 of each phase of one append (all appends of all runs). */
  perAppendP50Ms: Record<string, number>;
  workerMatched: boolean;
  projector: { runs: number; p50Ms: number; meanMs: number; overlapsNextRequestPct: number };
  tail: BudgetTail;
}

/** GC time inside [t0, t1]: the part of each pause that falls in the window. */
const gcWithin = (gc: readonly GcPause[], t0: number, t1: number): number =>
  gc.reduce((sum, g) => sum + Math.max(0, Math.min(t1, g.start + g.ms) - Math.max(t0, g.start)), 0);

/**
 * The slowest 5 % of runs against the runs at or below the median: each segment's mean per run
 * in both groups, and how much more the slow runs spent in it. `sums` holds, per segment, one
 * total per run (in `totals`' order).
 */
const tailOf = (
  sums: ReadonlyMap<string, number[]>,
  totals: readonly number[],
  committing: readonly number[],
  windows: readonly RunWindow[],
  gc: readonly GcPause[] | undefined,
): BudgetTail => {
  const from = pct([...totals], 0.95);
  const median = pct([...totals], 0.5);
  const slow = totals.flatMap((t, i) => (t >= from ? [i] : []));
  const typical = totals.flatMap((t, i) => (t <= median ? [i] : []));
  const meanOf = (xs: readonly number[], idx: readonly number[]) => mean(idx.map((i) => xs[i] ?? 0));
  const segments = [...sums]
    .map(([name, xs]) => {
      const typicalMeanMs = r3(meanOf(xs, typical));
      const slowMeanMs = r3(meanOf(xs, slow));
      return { name, typicalMeanMs, slowMeanMs, excessMs: r3(slowMeanMs - typicalMeanMs) };
    })
    .sort((a, b) => b.excessMs - a.excessMs);
  const gcPerRun = gc && windows.map((w) => gcWithin(gc, w.t0, w.t1));
  return {
    slowRuns: slow.length,
    fromMs: r3(from),
    slowMeanMs: r3(meanOf(totals, slow)),
    typicalMeanMs: r3(meanOf(totals, typical)),
    segments,
    committingInDispatches: {
      typicalMeanMs: r3(meanOf(committing, typical)),
      slowMeanMs: r3(meanOf(committing, slow)),
    },
    ...(gcPerRun
      ? { gc: { typicalMeanMs: r3(meanOf(gcPerRun, typical)), slowMeanMs: r3(meanOf(gcPerRun, slow)) } }
      : {}),
  };
};

/** The budget of the runs in `windows`, from the engine's points and the worker's. */
export const analyzeBudget = (
  engine: readonly Point[],
  worker: readonly Point[],
  windows: readonly RunWindow[],
  gc?: readonly GcPause[],
): Budget => {
  const execPubs = engine
    .filter((p) => p.point === 'bus.pub' && p.key.includes('.cmd.exec.'))
    .map((p) => p.t);
  const execIndex = new Map(execPubs.map((t, i) => [t, i]));
  const inWorker = workerDispatchTimes(worker);
  const workerMatched = inWorker.length === execPubs.length;
  const commits = engine
    .filter((p) => p.point === 'lmdb.committed')
    .map((p) => p.t)
    .sort((a, b) => a - b);
  /** The last commit that ended in (from, to], if any (`commits` is in time order). */
  const commitEnd = (from: number, to: number): number | undefined => {
    let lo = 0;
    let hi = commits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((commits[mid] as number) <= to) lo = mid + 1;
      else hi = mid;
    }
    const last = commits[lo - 1];
    return last !== undefined && last > from ? last : undefined;
  };
  const committing: number[] = [];
  const sums = new Map<string, number[]>();
  const counts = new Map<string, number[]>();
  const perAppend = new Map<string, number[]>();
  const appendCounts: number[] = [];
  const totals: number[] = [];
  const covered: number[] = [];
  windows.forEach((w, r) => {
    const { sum, count, appends, total, committingInDispatches } = runSegments(
      chainOf(engine, w),
      (execAt) => {
        const k = execIndex.get(execAt);
        const t = workerMatched && k !== undefined ? inWorker[k] : undefined;
        return t !== undefined && Number.isFinite(t) ? t : undefined;
      },
      commitEnd,
    );
    committing.push(committingInDispatches);
    for (const [name, xs] of sum)
      if (name.startsWith('append: ')) perAppend.set(name, [...(perAppend.get(name) ?? []), ...xs]);
    appendCounts.push(appends);
    totals.push(w.t1 - w.t0);
    covered.push(total);
    const names = new Set([...sums.keys(), ...sum.keys()]);
    for (const name of names) {
      const xs = sums.get(name) ?? Array.from({ length: r }, () => 0);
      xs.push((sum.get(name) ?? []).reduce((a, x) => a + x, 0));
      sums.set(name, xs);
      const cs = counts.get(name) ?? Array.from({ length: r }, () => 0);
      cs.push(count(name));
      counts.set(name, cs);
    }
  });
  const totalMean = mean(totals);
  const order = (n: string) => {
    const i = (SEGMENTS as readonly string[]).indexOf(n);
    return i < 0 ? SEGMENTS.length : i;
  };
  const segments = [...sums]
    .map(([name, xs]) => ({
      name,
      perRun: pct(counts.get(name) ?? [], 0.5),
      p50Ms: r3(pct(xs, 0.5)),
      meanMs: r3(mean(xs)),
      sharePct: Math.round((1000 * mean(xs)) / Math.max(1e-9, totalMean)) / 10,
    }))
    .sort((a, b) => order(a.name) - order(b.name) || b.meanMs - a.meanMs);
  // The projector: from run.completed's projection start to its checkpoint, per run.
  const proj: number[] = [];
  let overlaps = 0;
  windows.forEach((w, i) => {
    const key = `run/${w.runId}`;
    const start = engine.find((p) => p.point === 'projector.start' && p.key === key)?.t;
    const done = engine.find((p) => p.point === 'projector.done' && p.key === key)?.t;
    if (start === undefined || done === undefined) return;
    proj.push(done - start);
    const next = windows[i + 1];
    if (next && done > next.t0) overlaps += 1;
  });
  return {
    runs: windows.length,
    totalP50Ms: r3(pct(totals, 0.5)),
    totalP99Ms: r3(pct(totals, 0.99)),
    totalMeanMs: r3(totalMean),
    coverage: r3(mean(covered) / Math.max(1e-9, totalMean)),
    segments,
    appendsPerRun: pct(appendCounts, 0.5),
    perAppendP50Ms: Object.fromEntries([...perAppend].map(([k, xs]) => [k, r3(pct(xs, 0.5))])),
    workerMatched,
    projector: {
      runs: proj.length,
      p50Ms: r3(pct(proj, 0.5)),
      meanMs: r3(mean(proj)),
      overlapsNextRequestPct: proj.length === 0 ? 0 : Math.round((100 * overlaps) / proj.length),
    },
    tail: tailOf(sums, totals, committing, windows, gc),
  };
};
