/**
 * The event store under W3's load, without NATS or the worker: runs as W3 appends them (the
 * 18 events of a recorded W3 run, bench/fixtures/w3-run.json, in its 8 appends), `CONCURRENCY`
 * runs in flight, each append flushed, into a real LMDB store; then every run folded back
 * through its program. Like the run host, the facts (the machine's inbound types) are checked
 * against the catalog before they are appended; the events recording commands are not.
 *
 *   npm run build && node --import tsx bench/budget/store-harness.ts            # figures as JSON
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/budget/store-harness.ts
 *
 * Knobs: LILY_HARNESS_RUNS (default 3000), LILY_HARNESS_CONCURRENCY (default 64),
 * LILY_BENCH_DIST (which build: default dist/).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Catalog from '../../src/contracts/events/catalog.js';
import type { NewEvent } from '../../src/contracts/events/envelope.js';
import type * as Store from '../../src/eventstore/lmdb-event-store.js';
import type * as Machines from '../../src/machines/index.js';
import { fromDist } from './timeline.js';

const RUNS = Number(process.env.LILY_HARNESS_RUNS ?? 3000);
const CONCURRENCY = Number(process.env.LILY_HARNESS_CONCURRENCY ?? 64);

const fixture = readFileSync(new URL('../fixtures/w3-run.json', import.meta.url), 'utf8');
const RECORDED_RUN = '01M8QYVDW9P9J2PJR3ERW0YVKP';

/** The recorded run under another run id, in the appends W3 makes (events sharing a time). */
const runBatches = (n: number): { stream: string; batches: NewEvent[][] } => {
  const runId = `01M8QYVDW9P9J2PJR3E${String(n).padStart(7, '0')}`;
  const events = JSON.parse(fixture.replaceAll(RECORDED_RUN, runId)) as NewEvent[];
  const batches: NewEvent[][] = [];
  let at = Number.NaN;
  for (const e of events) {
    if (e.at !== at) batches.push([]);
    at = e.at;
    batches[batches.length - 1]?.push(e);
  }
  return { stream: `run/${runId}`, batches };
};

const main = async () => {
  const { openLmdbEventStore } = await fromDist<typeof Store>('eventstore/lmdb-event-store.js');
  const { validateEventData } = await fromDist<typeof Catalog>('contracts/events/catalog.js');
  const { INBOUND_EVENT_TYPES, createRunProgram, replay } =
    await fromDist<typeof Machines>('machines/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'lily-store-harness-'));
  const store = openLmdbEventStore({ path: join(dir, 'db') });
  const runs = Array.from({ length: RUNS }, (_, i) => runBatches(i));
  const perRun = runs[0]?.batches.flat().length ?? 0;
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < runs.length) {
        const run = runs[next++] as (typeof runs)[number];
        for (const batch of run.batches) {
          const checked = batch.map((e) =>
            INBOUND_EVENT_TYPES.has(e.type) ? { ...e, data: validateEventData(e.type, e.data) } : e,
          );
          await store.append(run.stream, checked);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const appendMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;

    const f0 = performance.now();
    const fcpu0 = process.cpuUsage();
    const first = await store.readStream(runs[0]?.stream as string);
    const started = first.find((e) => e.type === 'run.started')?.data as { plan: never };
    const program = createRunProgram(started.plan);
    let folded = 0;
    for (const run of runs) {
      const events = await store.readStream(run.stream);
      folded += replay(program, events).inbound;
    }
    const foldMs = performance.now() - f0;
    const fcpu = process.cpuUsage(fcpu0);
    const events = RUNS * perRun;
    process.stdout.write(
      `${JSON.stringify({
        runs: RUNS,
        concurrency: CONCURRENCY,
        events,
        appendsPerSec: Math.round((RUNS * (runs[0]?.batches.length ?? 0) * 1000) / appendMs),
        eventsPerSec: Math.round((events * 1000) / appendMs),
        cpuUsPerEvent: Math.round((cpuMs * 1000) / events),
        cpuUsPerRun: Math.round((cpuMs * 1000) / RUNS),
        foldRunsPerSec: Math.round((RUNS * 1000) / foldMs),
        foldCpuUsPerRun: Math.round((fcpu.user + fcpu.system) / RUNS),
        foldedFacts: folded,
      })}\n`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
