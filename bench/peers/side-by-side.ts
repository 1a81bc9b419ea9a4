/**
 * Lily, the floor of W3 under design.md's rules (bench/floor/) and BullMQ-AOF on W3, side by
 * side: all started at once, then measured in alternating windows (Lily, floor, BullMQ, then
 * BullMQ, floor, Lily, ...), so that the machine's load, which moves by 2x within minutes on a
 * shared machine, falls on each. The floor says what the design allows on this machine: Lily ÷
 * floor is Lily's own cost, floor ÷ BullMQ what the design's rules leave (decision 044). The
 * pipeline and peers sections measure each system once, minutes apart; their ratio moved from
 * 0.59 to 1.13 between four sittings on the same code. Here each round gives a ratio, and the median and range of the rounds say
 * how far the comparison holds.
 *
 * Per round: a closed loop of 64 in flight for LILY_SIDE_SECONDS (default 2) on each system,
 * with the CPU it cost per run (Lily: this process, which holds the engine and the load client,
 * plus the worker and nats-server; the floor: the same three, its own; BullMQ: this process,
 * which holds its driver, Worker and QueueEvents, plus redis-server; the idle other systems'
 * timers fall in each); then
 * LILY_SIDE_SEQ (default 30) runs one at a time on each. LILY_SIDE_ROUNDS rounds (default 6).
 * Lily waits for its projector to catch up after each window, outside the window.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer } from '../../test/helpers/nats-server.js';
import { closedLoopFor } from '../closed-loop.js';
import { startFloorW3 } from '../floor/skeleton.js';
import { startLilyW3, throughput } from '../pipeline.bench.js';
import { cpuSecondsOf } from '../proc-cpu.js';
import { quantile, summarizeRounds } from '../side-by-side.js';
import { startBullmqW3 } from './bullmq.js';

export const name = 'sideBySide';

const int = (key: string, dflt: number) => {
  const v = process.env[key];
  return v === undefined || v === '' ? dflt : Number.parseInt(v, 10);
};
const ROUNDS = int('LILY_SIDE_ROUNDS', 6);
const SECONDS = int('LILY_SIDE_SECONDS', 2);
const SEQ = int('LILY_SIDE_SEQ', 30);
const IN_FLIGHT = 64;

const r2 = (x: number) => Math.round(x * 100) / 100;

/** CPU seconds of this process and of `pids` together (NaN when a process's CPU cannot be read). */
const cpu = (pids: (number | undefined)[]) => cpuSecondsOf(pids).reduce((s, x) => s + x, 0);

type Stoppable = { stop(): Promise<void> };

export const run = async (): Promise<Record<string, unknown>> => {
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop();
  };
  try {
    const lily = await startLilyW3();
    started.push(lily);
    const floorNats = await startNatsServer();
    started.push(floorNats);
    const floorDir = mkdtempSync(join(tmpdir(), 'lily-floor-'));
    started.push({ stop: async () => rmSync(floorDir, { recursive: true, force: true }) });
    const floor = await startFloorW3({ url: floorNats.url, dir: floorDir });
    started.push(floor);
    const bull = await startBullmqW3();
    started.push(bull);
    return await measure(lily, { floor, pids: [floor.workerPid, floorNats.pid] }, bull);
  } finally {
    await stopAll();
  }
};

const measure = async (
  lily: Awaited<ReturnType<typeof startLilyW3>>,
  fl: { floor: Awaited<ReturnType<typeof startFloorW3>>; pids: (number | undefined)[] },
  bull: Awaited<ReturnType<typeof startBullmqW3>>,
): Promise<Record<string, unknown>> => {
  let next = 0;
  const bullOne = async () => {
    const i = next++;
    const r = await bull.runOne(i);
    if (r.i !== i || r.step !== 3) throw new Error(`BullMQ workflow ${i}: ${JSON.stringify(r)}`);
  };
  const bullLoop = (ms: number) => closedLoopFor(ms, IN_FLIGHT, bullOne);
  /** A closed loop of `once` at 64 in flight, with the CPU per run of this process and `pids`. */
  const loopWindow = async (pids: (number | undefined)[], once: () => Promise<unknown>) => {
    const c0 = cpu(pids);
    const { runs, seconds } = await closedLoopFor(SECONDS * 1000, IN_FLIGHT, once);
    const c1 = cpu(pids);
    return { runsPerSec: Math.round(runs / seconds), cpuMsPerRun: r2((1000 * (c1 - c0)) / runs) };
  };
  const lilyPids = [lily.worker.child.pid, lily.nats.pid];
  const sides = {
    lily: {
      at64: async () => {
        const c0 = cpu(lilyPids);
        const level = await throughput(lily.runner, IN_FLIGHT, SECONDS * 1000, undefined, 'w3', lily.engine);
        const c1 = cpu(lilyPids);
        return { runsPerSec: level.runsPerSec, cpuMsPerRun: r2((1000 * (c1 - c0)) / level.runs) };
      },
      one: async () => (await lily.runner.run('w3')).latencyMs,
    },
    floor: {
      at64: () => loopWindow(fl.pids, fl.floor.runOne),
      one: async () => (await fl.floor.runOne()).latencyMs,
    },
    bullmq: {
      at64: () => loopWindow([bull.redisPid], bullOne),
      one: async () => {
        const t0 = performance.now();
        await bullOne();
        return performance.now() - t0;
      },
    },
  };
  // Warm-up: each system's code paths, connections and caches, discarded.
  for (let i = 0; i < 50; i++) await lily.runner.run('w3');
  await throughput(lily.runner, IN_FLIGHT, 1_000, undefined, 'w3', lily.engine);
  for (let i = 0; i < 50; i++) await bullOne();
  await bullLoop(1_000);
  for (let i = 0; i < 50; i++) await fl.floor.runOne();
  await closedLoopFor(1_000, IN_FLIGHT, fl.floor.runOne);

  type Window = { runsPerSec: number; cpuMsPerRun: number };
  const at64 = { lily: [] as Window[], floor: [] as Window[], bullmq: [] as Window[] };
  const p50 = { lily: [] as number[], floor: [] as number[], bullmq: [] as number[] };
  const all = { lily: [] as number[], floor: [] as number[], bullmq: [] as number[] };
  const SIDES = ['lily', 'floor', 'bullmq'] as const;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? SIDES : [...SIDES].reverse();
    process.stderr.write(`sideBySide: round ${round + 1}/${ROUNDS} (${order.join(' then ')})\n`);
    for (const side of order) at64[side].push(await sides[side].at64());
    for (const side of order) {
      const lat: number[] = [];
      for (let i = 0; i < SEQ; i++) lat.push(await sides[side].one());
      p50[side].push(quantile(lat, 0.5));
      all[side].push(...lat);
    }
  }
  const runsPerSec = summarizeRounds(
    at64.lily.map((x) => x.runsPerSec),
    at64.bullmq.map((x) => x.runsPerSec),
  );
  const cpuPerRun = summarizeRounds(
    at64.lily.map((x) => x.cpuMsPerRun),
    at64.bullmq.map((x) => x.cpuMsPerRun),
  );
  const oneP50 = summarizeRounds(p50.lily, p50.bullmq);
  const rps = (side: 'lily' | 'floor' | 'bullmq') => at64[side].map((x) => x.runsPerSec);
  const cpuOf = (side: 'lily' | 'floor' | 'bullmq') => at64[side].map((x) => x.cpuMsPerRun);
  const floor = {
    eventBytes: Math.round(fl.floor.written().bytes / Math.max(1, fl.floor.written().events)),
    rejected: fl.floor.rejected(),
    /** The floor ÷ BullMQ: what the design allows on this machine. */
    overBullmq: {
      runsPerSec: summarizeRounds(rps('floor'), rps('bullmq')),
      cpuMsPerRun: summarizeRounds(cpuOf('floor'), cpuOf('bullmq')),
      p50: summarizeRounds(p50.floor, p50.bullmq),
    },
    /** Lily ÷ the floor: what Lily costs on top of the design's rules. */
    lilyOverFloor: {
      runsPerSec: summarizeRounds(rps('lily'), rps('floor')),
      cpuMsPerRun: summarizeRounds(cpuOf('lily'), cpuOf('floor')),
      p50: summarizeRounds(p50.lily, p50.floor),
    },
    windows: at64.floor,
    p50MsPerRound: p50.floor.map(r2),
    pooled: { p50Ms: r2(quantile(all.floor, 0.5)), p99Ms: r2(quantile(all.floor, 0.99)) },
  };
  return {
    rounds: ROUNDS,
    windowSeconds: SECONDS,
    runsOneAtATimePerRound: SEQ,
    inFlight: IN_FLIGHT,
    at64: { lily: at64.lily, bullmq: at64.bullmq, runsPerSec, cpuMsPerRun: cpuPerRun },
    oneAtATime: {
      p50MsPerRound: { lily: p50.lily.map(r2), bullmq: p50.bullmq.map(r2) },
      p50: oneP50,
      pooled: {
        lily: { p50Ms: r2(quantile(all.lily, 0.5)), p99Ms: r2(quantile(all.lily, 0.99)) },
        bullmq: { p50Ms: r2(quantile(all.bullmq, 0.5)), p99Ms: r2(quantile(all.bullmq, 0.99)) },
      },
    },
    floor,
    targets: { runsPerSecRatioAt64: 3, oneAtATimeP50Ratio: 1, lilyP99Ms: 6 },
  };
};
