/**
 * `npm run bench [-- <name prefix>...] [--peers]`: runs every bench/*.bench.ts (or the ones
 * named on the command line) and prints one JSON report. Each module exports `name` and
 * `run(): Promise<BenchSection>`; a section reports each figure next to the raw limit of the
 * part that bounds it, measured in the same run, so ratios stay meaningful on any machine.
 *
 * `--peers` also runs the peers of bench/peers/ (BullMQ with Redis AOF fsync-always on W3)
 * right after the pipeline section, so Lily and its peer are measured in the same sitting.
 * Every section records the load average before and after it (the machine may be shared).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type BenchSection = Record<string, unknown>;
export interface BenchModule {
  name: string;
  run(): Promise<BenchSection>;
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const peers = args.includes('--peers');
const wanted = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort()
  .map((f) => join(here, f));
if (peers) {
  const peerFiles = readdirSync(join(here, 'peers'))
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => join(here, 'peers', f));
  const at = files.findIndex((f) => f.endsWith('pipeline.bench.ts'));
  files.splice(at < 0 ? files.length : at + 1, 0, ...peerFiles);
}

/** The commit measured (short hash, with `+` when the tree has changes), or `unknown`. */
const commit = (): string => {
  const git = (...a: string[]) => spawnSync('git', a, { cwd: here, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown';
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+' : ''}`;
};
const load = () => loadavg().map((l) => Math.round(l * 100) / 100);
const report: Record<string, unknown> = {
  machine: {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: cpus().length,
    memBytes: totalmem(),
    loadavgAtStart: load(),
  },
  startedAt: new Date().toISOString(),
  label: process.env.LILY_BENCH_LABEL ?? `commit ${commit()}`,
  sections: {},
};
const sections = report.sections as Record<string, unknown>;
for (const file of files) {
  const mod = (await import(pathToFileURL(file).href)) as BenchModule;
  process.stderr.write(`bench: ${mod.name}...\n`);
  const started = performance.now();
  const loadBefore = load();
  try {
    sections[mod.name] = {
      ...(await mod.run()),
      benchSeconds: (performance.now() - started) / 1000,
      loadavgBeforeAfter: [loadBefore, load()],
    };
  } catch (e) {
    sections[mod.name] = { error: e instanceof Error ? e.message : String(e) };
  }
}
(report.machine as Record<string, unknown>).loadavgAtEnd = load();
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
