/**
 * Before/after in one sitting: runs the pipeline bench on two builds, alternating (A B, B A,
 * A B, ...) so drift in the machine's load falls on both, and prints each run's figures with
 * the medians, each side's range, the ratio B ÷ A and whether the ranges are apart. For a
 * change measured on a shared machine.
 *
 *   npm run build && rm -rf bench/.ab/a && cp -r dist bench/.ab/a     # before the change
 *   (change, commit) && npm run build && rm -rf bench/.ab/b && cp -r dist bench/.ab/b
 *   npx tsx bench/ab.ts bench/.ab/a bench/.ab/b [rounds]  > /tmp/ab.json
 *
 * Each run is `bench/run.ts pipeline` with LILY_BENCH_DIST set (default 3 s per throughput
 * level and 100 runs one at a time; LILY_BENCH_SECONDS and LILY_BENCH_SEQ override).
 * bench/.ab/ is ignored by git; the builds must live under the repository to find node_modules.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './side-by-side.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const [a, b, roundsArg] = process.argv.slice(2);
if (!a || !b) {
  process.stderr.write('usage: tsx bench/ab.ts <build A> <build B> [rounds]\n');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 3);

interface Figures {
  side: 'A' | 'B';
  load: number;
  oneAtATimeP50Ms: number;
  oneAtATimeP99Ms: number;
  budgetP50Ms: number;
  runsPerSecAt64: number;
  runsPerSecAt256: number;
  /** Runs/s at 64 in flight counting the wait for the projector to catch up (its receipts). */
  runsPerSecWithReceiptsAt64: number;
  /** CPU of the engine's process (all threads) per run at 64 in flight, receipts included, ms. */
  engineCpuMsPerRunAt64: number;
  workerCpuMsPerRunAt64: number;
  projectorP50Ms: number;
  projectorOverlapsNextPct: number;
  segmentsMeanMs: Record<string, number>;
}

/** `LILY_AB_B_ENV='K=V K2=V2'`: variables set for side B only (the same build, another setting). */
const bEnv = Object.fromEntries(
  (process.env.LILY_AB_B_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);

const runOnce = (dist: string, side: 'A' | 'B'): Promise<Record<string, unknown>> =>
  new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(here, 'run.ts'), 'pipeline'],
      {
        cwd: root,
        env: {
          ...process.env,
          LILY_BENCH_DIST: resolve(dist),
          LILY_BENCH_SECONDS: process.env.LILY_BENCH_SECONDS ?? '3',
          LILY_BENCH_SEQ: process.env.LILY_BENCH_SEQ ?? '100',
          ...(side === 'B' ? bEnv : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`bench exited ${code}`))));
  });

// biome-ignore lint/suspicious/noExplicitAny: bench JSON is loosely shaped
const figures = (side: 'A' | 'B', report: any): Figures => {
  const p = report.sections.pipeline;
  if (p.error) throw new Error(`${side}: ${p.error}`);
  const at = (k: number) => p.throughput.find((t: { inFlight: number }) => t.inFlight === k);
  const level = (k: number) => at(k)?.runsPerSec;
  const withReceipts = at(64)?.runsPerSecWithReceipts ?? Number.NaN;
  // CPU % of one core over the level and its catch-up, per run: pct × 10 ms ÷ runs/s.
  const cpuMsPerRun = (pct: number | undefined) =>
    Math.round(((pct ?? Number.NaN) * 1000) / withReceipts) / 100;
  return {
    side,
    load: report.machine.loadavgAtStart[0],
    oneAtATimeP50Ms: p.oneAtATime.p50Ms,
    oneAtATimeP99Ms: p.oneAtATime.p99Ms,
    budgetP50Ms: p.budget.totalP50Ms,
    runsPerSecAt64: level(64),
    runsPerSecAt256: level(256),
    runsPerSecWithReceiptsAt64: withReceipts,
    engineCpuMsPerRunAt64: cpuMsPerRun(at(64)?.cpuPctOfOneCore?.engineProcess),
    workerCpuMsPerRunAt64: cpuMsPerRun(at(64)?.cpuPctOfOneCore?.worker),
    projectorP50Ms: p.budget.projector?.p50Ms ?? Number.NaN,
    projectorOverlapsNextPct: p.budget.projector?.overlapsNextRequestPct ?? Number.NaN,
    segmentsMeanMs: Object.fromEntries(
      p.budget.segments.map((s: { name: string; meanMs: number }) => [s.name, s.meanMs]),
    ),
  };
};

const runs: Figures[] = [];
for (let r = 0; r < rounds; r++) {
  const order: ['A' | 'B', string][] =
    r % 2 === 0
      ? [
          ['A', a],
          ['B', b],
        ]
      : [
          ['B', b],
          ['A', a],
        ];
  for (const [side, dist] of order) {
    process.stderr.write(
      `ab: round ${r + 1}/${rounds}, ${side} (${dist}), load ${loadavg()[0]?.toFixed(2)}\n`,
    );
    runs.push(figures(side, await runOnce(dist, side)));
  }
}

const keys = [
  'oneAtATimeP50Ms',
  'oneAtATimeP99Ms',
  'budgetP50Ms',
  'runsPerSecAt64',
  'runsPerSecAt256',
  'runsPerSecWithReceiptsAt64',
  'engineCpuMsPerRunAt64',
  'workerCpuMsPerRunAt64',
  'projectorP50Ms',
  'projectorOverlapsNextPct',
] as const;
const side = (s: 'A' | 'B') => runs.filter((f) => f.side === s);
/**
 * Per figure: each side's median and range over its rounds, B ÷ A of the medians, and whether
 * the two ranges are apart (every B round above every A round, or below; null with fewer than
 * two rounds a side). On a shared machine the rounds of one build can spread wider than a
 * change moves them; a ratio whose ranges overlap is not told apart from that noise.
 */
const summary = Object.fromEntries(
  keys.map((k) => {
    const xa = side('A').map((f) => f[k]);
    const xb = side('B').map((f) => f[k]);
    const ma = median(xa);
    const mb = median(xb);
    const aRange = [Math.min(...xa), Math.max(...xa)] as const;
    const bRange = [Math.min(...xb), Math.max(...xb)] as const;
    // One round a side has no range to compare: null, not a verdict.
    const apart = xa.length < 2 || xb.length < 2 ? null : bRange[0] > aRange[1] || bRange[1] < aRange[0];
    return [k, { a: ma, b: mb, bOverA: Math.round((mb / ma) * 100) / 100, aRange, bRange, apart }];
  }),
);
const segmentNames = [...new Set(runs.flatMap((f) => Object.keys(f.segmentsMeanMs)))];
const segments = Object.fromEntries(
  segmentNames.map((n) => {
    const ma = median(side('A').map((f) => f.segmentsMeanMs[n] ?? 0));
    const mb = median(side('B').map((f) => f.segmentsMeanMs[n] ?? 0));
    return [n, { a: Math.round(ma * 1000) / 1000, b: Math.round(mb * 1000) / 1000 }];
  }),
);
process.stdout.write(
  `${JSON.stringify({ a: resolve(a), b: resolve(b), rounds, medians: summary, budgetSegmentsMeanMs: segments, runs }, null, 2)}\n`,
);
