/**
 * `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line) and
 * prints one JSON report. Each module exports `name` and `run(): Promise<BenchSection>`; a
 * section reports each figure next to the raw limit of the part that bounds it, measured in
 * the same run, so ratios stay meaningful on any machine.
 */
import { readdirSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type BenchSection = Record<string, unknown>;
export interface BenchModule {
  name: string;
  run(): Promise<BenchSection>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

const report: Record<string, unknown> = {
  machine: {
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpus: cpus().length,
    memBytes: totalmem(),
  },
  startedAt: new Date().toISOString(),
  sections: {},
};
const sections = report.sections as Record<string, unknown>;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  process.stderr.write(`bench: ${mod.name}...\n`);
  const started = performance.now();
  try {
    sections[mod.name] = { ...(await mod.run()), benchSeconds: (performance.now() - started) / 1000 };
  } catch (e) {
    sections[mod.name] = { error: e instanceof Error ? e.message : String(e) };
  }
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
