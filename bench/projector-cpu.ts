/**
 * What projecting receipts costs the engine, side by side: the main thread's busy time (event
 * loop utilization) and the whole process's CPU per run, with no projector, with build A's
 * in-process `Projector`, and with build B's `ProjectorThread` (decision 032). RUNS runs of the
 * sample run (17 events) are appended, flushed, one at a time, in three alternating rounds.
 *
 *   npx tsx bench/projector-cpu.ts bench/.ab/a bench/.ab/b    # builds as bench/ab.ts makes them
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SAMPLE_RUN_ID, sampleRunEvents } from '../test/helpers/eventstore-runs.js';

const [A, B] = process.argv.slice(2).map((d) => resolve(d));
if (!A || !B) throw new Error('usage: tsx bench/projector-cpu.ts <build A> <build B>');
const RUNS = Number(process.env.RUNS ?? 300);
const { openLilyStorage } = await import(`${B}/eventstore/storage.js`);
const { createUlidGenerator } = await import(`${B}/eventstore/system-ports.js`);
const { memoryLogger } = await import(`${B}/actors/logger.js`);
const ids = createUlidGenerator();
const template = JSON.stringify(sampleRunEvents('succeeded'));

const round = async (mode: 'none' | 'A' | 'B') => {
  const dir = mkdtempSync(join(tmpdir(), 'mb-proj-'));
  const storage = await openLilyStorage({ dir });
  const log = memoryLogger();
  const checkpointFile = join(storage.runsDir, '.projector-checkpoint');
  let projector: { start(): Promise<void>; stop(): Promise<void>; position(): number } | undefined;
  if (mode === 'A') {
    const { Projector } = await import(`${A}/actors/engine/projector.js`);
    projector = new Projector({ store: storage.events, runsDir: storage.runsDir, checkpointFile, log });
  } else if (mode === 'B') {
    const { ProjectorThread } = await import(`${B}/deployment/projector-thread.js`);
    projector = new ProjectorThread({
      dbPath: join(dir, 'db'),
      runsDir: storage.runsDir,
      checkpointFile,
      log,
    });
  }
  await projector?.start();
  await new Promise((r) => setTimeout(r, 200));
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const runId = ids.runId();
    await storage.events.append(`run/${runId}`, JSON.parse(template.replaceAll(SAMPLE_RUN_ID, runId)));
  }
  const last = await storage.events.lastPosition();
  while (projector && projector.position() < last) await new Promise((r) => setTimeout(r, 5));
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  await projector?.stop();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  const errors = log.entries.filter((e: { level: string }) => e.level === 'error').length;
  return {
    mainBusyMsPerRun: elu.active / RUNS,
    cpuMsPerRun: (cpu.user + cpu.system) / 1000 / RUNS,
    wallMsPerRun: wall / RUNS,
    errors,
  };
};

const out: Record<string, unknown[]> = { none: [], A: [], B: [] };
const orders: ('none' | 'A' | 'B')[][] = [
  ['none', 'A', 'B'],
  ['B', 'A', 'none'],
  ['A', 'B', 'none'],
];
for (const order of orders)
  for (const m of order) {
    const r = await round(m);
    out[m]?.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 1000) / 1000])));
  }
console.log(JSON.stringify(out, null, 1));
