/**
 * Cold start of the CLI: `lily --help` (commander + command registration only) next to
 * `node -e 0` (the floor: Node itself) and `lily blueprints list --json` (a command that loads
 * zod and the built-in catalog), each the median of N fresh processes in the same run.
 * Target (design.md §7): `lily --help` < 150 ms.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const name = 'cli';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/lily.js');
const RUNS = Number(process.env.LILY_BENCH_CLI_RUNS ?? 21);

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Median wall time (ms) of `runs` fresh `node <args>` processes; the first (warm-up) is discarded. */
const spawnMedian = (args: string[], cwd: string, runs: number): number => {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, {
      cwd,
      stdio: 'ignore',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
    if (i > 0) times.push(elapsed);
  }
  return median(times);
};

const round = (ms: number): number => Math.round(ms * 10) / 10;

export const run = async (): Promise<Record<string, unknown>> => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: npm run build');
  const cwd = mkdtempSync(join(tmpdir(), 'lily-bench-cli-'));
  try {
    const nodeFloor = spawnMedian(['-e', '0'], cwd, RUNS);
    const help = spawnMedian([BIN, '--help'], cwd, RUNS);
    const blueprints = spawnMedian(
      [BIN, 'blueprints', 'list', '--json'],
      cwd,
      Math.max(5, Math.floor(RUNS / 2)),
    );
    return {
      runs: RUNS,
      nodeStartMedianMs: round(nodeFloor),
      helpColdMedianMs: round(help),
      helpOverNodeMs: round(help - nodeFloor),
      helpTargetMs: 150,
      helpWithinTarget: help < 150,
      blueprintsListMedianMs: round(blueprints),
      blueprintsListOverNodeMs: round(blueprints - nodeFloor),
    };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
};
