/**
 * W3: a job of three sequential steps, each an in-process executor (`echo`) returning a small
 * JSON object, run through the engine and a separate worker process over a real nats-server,
 * every event flushed before it is acknowledged. Reported next to the raw limits measured in
 * the same run: NATS request/reply (a dispatch is one round trip), one flushed LMDB put,
 * msgpack encoding, the run program's fold and XState transitions.
 *
 * Phases, in order (the engine, from dist/, and the load client share this process; the worker
 * is the daemon `lily up` starts, dist/deployment/daemon-main.js, preloaded with
 * bench/budget/worker-probe.ts for probes and profiles):
 *  1. warm-up (50 runs one at a time, then 2 s at 64 in flight, as the peer warms up), then W3
 *     one at a time without probes (the headline p50/p99);
 *  2. the same with every probe on: the latency budget (bench/budget/analyze.ts);
 *  3. throughput at 1, 16, 64 and 256 runs in flight;
 *  4. 64 in flight again (LILY_BENCH_PROFILE_IN_FLIGHT) with both processes under the CPU profiler
 *     (bench/budget/profile-summary.ts);
 *  5. step overheads from the log, engine memory per active run, raw limits.
 *
 * Knobs: LILY_BENCH_SECONDS (each throughput level, default 5), LILY_BENCH_SEQ (runs one at a
 * time, default 200), LILY_BENCH_PROFILE_DIR (where the .cpuprofile files go; default a temp dir).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventLoopUtilization, PerformanceObserver } from 'node:perf_hooks';
import type { Bus } from '../src/actors/bus/bus.js';
import { runRequestReplySchema } from '../src/actors/messages.js';
import { eventTypePattern, schedSubject } from '../src/actors/subjects.js';
import { runStream, type StoredEvent } from '../src/contracts/index.js';
import type { RunningEngine } from '../src/deployment/engine-process.js';
import { REPO_ROOT, stopChild, tempProject } from '../test/helpers/lily-project.js';
import { startNatsServer } from '../test/helpers/nats-server.js';
import { analyzeBudget, type GcPause, type RunWindow } from './budget/analyze.js';
import { summarizeProfileFile } from './budget/profile-summary.js';
import { startCpuProfile, startHeapProfile } from './budget/profiler.js';
import { flushedPutLatency, machineCosts } from './budget/raw.js';
import { distDir, fromDist, type Point, Timeline } from './budget/timeline.js';
import { closedLoopFor } from './closed-loop.js';
import { W3_JOB as W3 } from './fixtures/w3-job.js';
import { measureNatsLimits } from './nats.bench.js';
import { processCpuSeconds } from './proc-cpu.js';

export const name = 'pipeline';

const SECONDS = Number(process.env.LILY_BENCH_SECONDS ?? 5);
const SEQ = Number(process.env.LILY_BENCH_SEQ ?? 200);
/** The closed loop at 64 in flight that warms the pipeline up before anything is measured. */
const WARMUP_AT_64_MS = 2_000;

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [echo, command]
commands: [node]
workspace: { allow: ["**"], deny: [] }
caps: { concurrency: 10000 }
approvals:
  - { job: parked, reason: "parks runs to measure memory" }
require_dry_run: []
`;
const PARKED = W3.replace('id: w3', 'id: parked').replace('title: W3', 'title: parked');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};
const r2 = (n: number) => Math.round(n * 100) / 100;
const load = () => loadavg().map((l) => r2(l));

export class Runner {
  readonly #waiting = new Map<string, (t: number) => void>();
  /** When `run.completed` was seen for runs whose request's reply had not arrived yet (a short run can finish first). */
  readonly #early = new Map<string, number>();
  constructor(
    private readonly client: Bus,
    private readonly timeline: Timeline,
  ) {
    client.subscribe(eventTypePattern('default', 'run.completed'), (m) => {
      const t = performance.now();
      const runId = (m.json() as StoredEvent).stream.slice(4);
      const waiting = this.#waiting.get(runId);
      if (waiting) waiting(t);
      else {
        // Runs requested by someone else complete here too: keep only the most recent ones.
        if (this.#early.size >= 4096) this.#early.delete(this.#early.keys().next().value as string);
        this.#early.set(runId, t);
      }
    });
  }
  /** Requests a run and resolves when the client sees its `run.completed`. */
  async run(jobId: string): Promise<RunWindow & { latencyMs: number }> {
    const t0 = performance.now();
    this.timeline.mark('client.send', '');
    let runId = '';
    const done = new Promise<number>((resolve, reject) => {
      this.client
        .requestTyped(schedSubject('default'), { type: 'run.request', jobId }, runRequestReplySchema, {
          timeoutMs: 30_000,
        })
        .then((r) => {
          if (!r.ok) throw new Error(r.error.message);
          runId = r.runId;
          const early = this.#early.get(r.runId);
          this.#early.delete(r.runId);
          if (early !== undefined) resolve(early);
          else this.#waiting.set(r.runId, resolve);
        })
        .catch(reject);
    });
    const t1 = await done;
    this.timeline.markAt('client.completed', runId, t1);
    this.#waiting.delete(runId);
    return { runId, t0, t1, latencyMs: t1 - t0 };
  }
}

/** The worker daemon, preloaded with the probe; talks to the bench over IPC. */
class ProbedWorker {
  readonly child: ChildProcess;
  constructor(dir: string, nats: string) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--import',
        join(REPO_ROOT, 'bench/budget/worker-probe.ts'),
        join(distDir(), 'deployment/daemon-main.js'),
        'worker',
        '--dir',
        dir,
        '--nats',
        nats,
        '--id',
        'bench',
        '--concurrency',
        '256',
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
  }
  ask<T>(msg: object, answer: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const on = (m: { type: string; message?: string }) => {
        if (m.type !== answer && m.type !== 'error') return;
        this.child.off('message', on);
        if (m.type === 'error') reject(new Error(`worker probe: ${m.message}`));
        else resolve(m as T);
      };
      this.child.on('message', on);
      this.child.send(msg);
    });
  }
  probe(on: boolean) {
    return this.ask({ type: 'probe', on }, 'probe.ok');
  }
  async take(): Promise<Point[]> {
    return (await this.ask<{ points: Point[] }>({ type: 'take' }, 'points')).points;
  }
  async elu(): Promise<EventLoopUtilization> {
    return (await this.ask<{ elu: EventLoopUtilization }>({ type: 'usage' }, 'usage')).elu;
  }
}

/** CPU seconds a process has used, 0 if unknown. */
const cpuSeconds = (pid: number | undefined): number => processCpuSeconds(pid) || 0;

/**
 * How busy each process was during a phase: CPU (% of one core, all threads) of the engine's
 * process (engine and load client), the worker and nats-server, and the event-loop utilization
 * (share of time the main thread was not idle) of the engine's process and the worker.
 */
const usageMeter = async (worker: ProbedWorker, natsPid: number | undefined) => {
  const t0 = performance.now();
  const cpu0 = [cpuSeconds(process.pid), cpuSeconds(worker.child.pid), cpuSeconds(natsPid)];
  const elu0 = performance.eventLoopUtilization();
  const welu0 = await worker.elu();
  return async () => {
    const s = (performance.now() - t0) / 1000;
    const cpu1 = [cpuSeconds(process.pid), cpuSeconds(worker.child.pid), cpuSeconds(natsPid)];
    const welu1 = await worker.elu();
    const pctCore = (i: number) => Math.round((100 * ((cpu1[i] ?? 0) - (cpu0[i] ?? 0))) / s);
    const workerActive = welu1.active - welu0.active;
    const workerIdle = welu1.idle - welu0.idle;
    return {
      cpuPctOfOneCore: { engineProcess: pctCore(0), worker: pctCore(1), natsServer: pctCore(2) },
      eventLoopUtilization: {
        engineProcess: r2(performance.eventLoopUtilization(elu0).utilization),
        worker: r2(workerActive / Math.max(1e-9, workerActive + workerIdle)),
      },
    };
  };
};

/**
 * Waits until the projector has projected everything in the log now (the receipts of the runs
 * that finished): a level's work is not done while its receipts are still to be written.
 */
const receiptsCaughtUp = async (engine: RunningEngine): Promise<number> => {
  const target = await engine.storage.events.lastPosition();
  const t0 = performance.now();
  while (engine.projector.position() < target) await new Promise((r) => setTimeout(r, 2));
  return performance.now() - t0;
};

/**
 * A closed loop of `inFlight` lanes for `durationMs`. With `engine`, the level then waits for the
 * projector to catch up (an inline projector falls behind under load and would otherwise write
 * this level's receipts during the next one): `receiptsCatchUpMs` is that wait, and
 * `runsPerSecWithReceipts` counts it; the CPU figures cover it too.
 */
export const throughput = async (
  runner: Runner,
  inFlight: number,
  durationMs: number,
  meter?: () => Promise<Usage>,
  jobId = 'w3',
  engine?: RunningEngine,
) => {
  const usage = meter ? await meter() : undefined;
  const { runs: completed, seconds } = await closedLoopFor(durationMs, inFlight, () => runner.run(jobId));
  const catchUpMs = engine ? await receiptsCaughtUp(engine) : undefined;
  return {
    inFlight,
    runs: completed,
    runsPerSec: Math.round(completed / seconds),
    stepsPerSec: Math.round((completed * 3) / seconds),
    ...(catchUpMs !== undefined
      ? {
          receiptsCatchUpMs: Math.round(catchUpMs),
          runsPerSecWithReceipts: Math.round(completed / (seconds + catchUpMs / 1000)),
        }
      : {}),
    ...(usage ? await usage() : {}),
  };
};

type Usage = () => ReturnType<Awaited<ReturnType<typeof usageMeter>>>;

/** Step-to-step overhead and time to first step, from the events of finished runs. */
const overheads = async (engine: RunningEngine, runIds: string[]) => {
  const stepToStep: number[] = [];
  const firstStep: number[] = [];
  for (const id of runIds) {
    const events = await engine.storage.events.readStream(runStream(id as never));
    const ok = events.filter((e) => e.type === 'step.succeeded').map((e) => e.at);
    for (let i = 1; i < ok.length; i++) stepToStep.push((ok[i] as number) - (ok[i - 1] as number));
    const requested = events.find((e) => e.type === 'run.requested')?.at;
    const started = events.find((e) => e.type === 'step.started')?.at;
    if (requested !== undefined && started !== undefined) firstStep.push(started - requested);
  }
  return {
    stepToStepP50Ms: pct(stepToStep, 0.5),
    stepToStepP99Ms: pct(stepToStep, 0.99),
    timeToFirstStepP50Ms: pct(firstStep, 0.5),
    timeToFirstStepP99Ms: pct(firstStep, 0.99),
  };
};

/** Engine heap per active run: park N runs on an approval, measure, compare with the baseline. */
const memoryPerRun = async (engine: RunningEngine, client: Bus, n: number) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const requests = [];
  for (let i = 0; i < n; i++)
    requests.push(
      client.requestTyped(
        schedSubject('default'),
        { type: 'run.request', jobId: 'parked' },
        runRequestReplySchema,
        { timeoutMs: 30_000 },
      ),
    );
  await Promise.all(requests);
  while (engine.host.inFlight() < n) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  gc?.();
  const after = process.memoryUsage().heapUsed;
  return {
    activeRuns: engine.host.inFlight(),
    bytesPerActiveRun: Math.round((after - before) / n),
    gcForced: gc !== undefined,
  };
};

const sequential = async (runner: Runner, n: number) => {
  const windows: (RunWindow & { latencyMs: number })[] = [];
  for (let i = 0; i < n; i++) windows.push(await runner.run('w3'));
  const lat = windows.map((w) => w.latencyMs);
  return { windows, runs: n, p50Ms: r2(pct(lat, 0.5)), p99Ms: r2(pct(lat, 0.99)) };
};

/** Records this process's GC pauses (the engine's: it runs in this process) until `stop`. */
const watchGc = () => {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => observer.disconnect() };
};

/**
 * What the probes add to a run: the cost of one recorded point (the dist probe into this
 * timeline, timed over many calls) times the points a run records in both processes.
 */
const probeOverhead = async (timeline: Timeline, pointsPerRun: number) => {
  const { probe } = await fromDist<typeof import('../src/contracts/probe.js')>('contracts/probe.js');
  const calls = 200_000;
  timeline.enable(true);
  const t = performance.now();
  for (let i = 0; i < calls; i++) probe('append.start', 'run/x');
  const nsPerPoint = ((performance.now() - t) * 1e6) / calls;
  timeline.enable(false);
  timeline.take();
  return {
    pointsPerRun: Math.round(pointsPerRun),
    nsPerPoint: Math.round(nsPerPoint),
    usPerRun: r2((pointsPerRun * nsPerPoint) / 1000),
  };
};

/**
 * 64 in flight (or LILY_BENCH_PROFILE_IN_FLIGHT) with the engine's process and the worker under
 * the CPU profiler.
 */
const profiled = async (runner: Runner, worker: ProbedWorker, durationMs: number) => {
  const inFlight = Number(process.env.LILY_BENCH_PROFILE_IN_FLIGHT ?? 64);
  const dir = process.env.LILY_BENCH_PROFILE_DIR ?? mkdtempSync(join(tmpdir(), 'lily-bench-prof-'));
  mkdirSync(dir, { recursive: true });
  const engineFile = join(dir, `engine-${inFlight}.cpuprofile`);
  const workerFile = join(dir, `worker-${inFlight}.cpuprofile`);
  await worker.ask({ type: 'profile.start', intervalUs: 500 }, 'profile.started');
  const engineProfile = await startCpuProfile(500);
  // LILY_BENCH_HEAP_PROFILE=1: the engine's allocations too (engine-<n>.heapprofile), for GC's share.
  const heap = process.env.LILY_BENCH_HEAP_PROFILE === '1' ? await startHeapProfile() : undefined;
  const level = await throughput(runner, inFlight, durationMs);
  await heap?.stop(join(dir, `engine-${inFlight}.heapprofile`));
  await engineProfile.stop(engineFile);
  await worker.ask({ type: 'profile.stop', file: workerFile }, 'profile.written');
  return {
    inFlight,
    runsPerSecUnderProfiler: level.runsPerSec,
    samplingIntervalUs: 500,
    files: { engine: engineFile, worker: workerFile },
    engine: summarizeProfileFile(engineFile),
    worker: summarizeProfileFile(workerFile),
    note:
      'the engine profile is of the bench process: engine plus the load client (its NATS client, its ' +
      'run.completed subscription), so part of the nats share is the client; the worker is the daemon alone',
  };
};

const W3_NOTE = `id: w3-note
title: W3 over a side-effecting in-process executor (every dispatch claimed in the ledger)
target: { kind: blueprint, id: pipeline.v1 }
runtime: { concurrency: 1024 }
bindings:
  steps:
    - { id: a, executor: note, with: { value: { a: 1 } } }
    - { id: b, executor: note, with: { value: { b: 2 } } }
    - { id: c, executor: note, with: { value: { c: 3 } } }
`;
const NOTE_PACK = join(import.meta.dirname, 'fixtures', 'effect-pack.ts');

/** The raw cost of one ledger write on each store, measured in the same run. */
const ledgerWriteLimits = async (natsUrl: string, dir: string) => {
  const { connect } = await import('@nats-io/transport-node');
  const { Kvm } = await import('@nats-io/kv');
  const { openLilyStorage } =
    await fromDist<typeof import('../src/eventstore/storage.js')>('eventstore/storage.js');
  const nc = await connect({ servers: natsUrl });
  const kv = await new Kvm(nc).create('bench-raw', { history: 1, allow_direct: false });
  const n = 500;
  let t = performance.now();
  for (let i = 0; i < n; i++) await kv.put(`k${i}`, '{"status":"running"}', { previousSeq: 0 });
  const kvMs = (performance.now() - t) / n;
  await nc.close();
  const storage = await openLilyStorage({ dir });
  const records = storage.records<{ status: string }>('dispatch-claims');
  t = performance.now();
  for (let i = 0; i < n; i++) await records.compareAndSet(`k${i}`, { status: 'running' }, 0);
  const lmdbMs = (performance.now() - t) / n;
  await storage.close();
  return { kvCompareAndSetMs: r2(kvMs), lmdbFlushedCompareAndSetMs: r2(lmdbMs) };
};

/**
 * W3 with the dispatch ledger on NATS JetStream KV against the LMDB ledger, in the same run on
 * the same nats-server (JetStream on): W3 over `note`, a side-effecting in-process executor
 * (bench/fixtures/effect-pack.ts), so each of the 3 dispatches of a run is claimed
 * (claim + complete: two compare-and-sets) in the ledger under test. The engine and the worker
 * daemon run from dist/ as in `run`. `LILY_BENCH_PIPELINE=ledger npm run bench pipeline` runs
 * only this.
 */
/**
 * The engine's logger as a deployed engine has it (daemon-main.ts): pino at `info`, JSON lines
 * written synchronously to `.lily/logs/engine.log`. A memory logger would keep every entry,
 * debug ones included, for the whole bench: heap and GC the engine never pays.
 */
const engineLog = (
  createLogger: typeof import('../src/actors/logger.js').createLogger,
  dir: string,
): ReturnType<typeof createLogger> =>
  createLogger({ name: 'engine', file: join(dir, '.lily', 'logs', 'engine.log') });

export const ledgerVariants = async (o = { sequentialRuns: SEQ, durationMs: SECONDS * 1000 }) => {
  const { startEngineProcess } = await fromDist<typeof import('../src/deployment/engine-process.js')>(
    'deployment/engine-process.js',
  );
  const { connectNatsBus } =
    await fromDist<typeof import('../src/actors/bus/index.js')>('actors/bus/index.js');
  const { createLogger } = await fromDist<typeof import('../src/actors/logger.js')>('actors/logger.js');
  const nats = await startNatsServer({ jetstream: true });
  const timeline = new Timeline();
  const out: Record<string, unknown> = { loadavg: { start: load() } };
  try {
    for (const ledger of ['lmdb', 'nats'] as const) {
      const project = await tempProject(`lily-bench-${ledger}-`);
      project.file(
        'policy.yaml',
        POLICY.replace('executors: [echo, command]', 'executors: [echo, command, note]'),
      );
      project.file('config.yaml', `packs: [${JSON.stringify(NOTE_PACK)}]\nledger: ${ledger}\n`);
      project.job('w3-note', W3_NOTE);
      const engine = await startEngineProcess({
        dir: project.dir,
        log: engineLog(createLogger, project.dir),
        nats: nats.url,
        cron: false,
      });
      const id = `bench-${ledger}`;
      const worker = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(distDir(), 'deployment/daemon-main.js'),
          'worker',
          '--dir',
          project.dir,
          '--nats',
          nats.url,
          '--id',
          id,
          '--concurrency',
          '256',
          '--ledger',
          ledger,
        ],
        { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const client = await connectNatsBus({ servers: nats.url, name: id });
      try {
        for (;;) {
          try {
            await client.request(`lily.default.sys.ping.worker-${id}`, {}, { timeoutMs: 500 });
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        const runner = new Runner(client, timeline);
        for (let i = 0; i < 30; i++) await runner.run('w3-note');
        const latencies: number[] = [];
        for (let i = 0; i < o.sequentialRuns; i++) latencies.push((await runner.run('w3-note')).latencyMs);
        const at64 = await throughput(runner, 64, o.durationMs, undefined, 'w3-note');
        out[ledger] = {
          oneAtATime: {
            runs: latencies.length,
            p50Ms: r2(pct(latencies, 0.5)),
            p99Ms: r2(pct(latencies, 0.99)),
          },
          at64,
        };
      } finally {
        await stopChild(worker);
        await engine.stop();
        await client.close();
        project.remove();
      }
    }
    const scratch = await tempProject('lily-bench-raw-');
    try {
      out.rawLimits = await ledgerWriteLimits(nats.url, join(scratch.dir, '.lily'));
    } finally {
      scratch.remove();
    }
    const lmdb = out.lmdb as { at64: { runsPerSec: number } };
    const kv = out.nats as { at64: { runsPerSec: number } };
    out.ratios = {
      kvVsLmdbRunsPerSecAt64: r2(kv.at64.runsPerSec / Math.max(1, lmdb.at64.runsPerSec)),
      note: 'each W3 run makes 6 ledger writes (claim + complete per step); JetStream file storage fsyncs on its sync interval, not per write, while the LMDB ledger flushes every write',
    };
    (out.loadavg as Record<string, number[]>).end = load();
    return out;
  } finally {
    await nats.stop();
  }
};

/**
 * Lily's W3 pipeline as this bench measures it: a nats-server of its own, a temp project (W3 and
 * the parked job), the engine from dist/ in this process (with the load client), the worker
 * daemon in a child, a probe timeline installed (off until enabled). Resolves once the worker
 * answers its ping; `stop` takes it all down. The side-by-side peer bench starts it too.
 */
export const startLilyW3 = async (o: { jobs?: Record<string, string> } = {}) => {
  // The engine, its bus and the worker run from dist/ (what `lily up` runs; `npm run bench` builds).
  const { startEngineProcess } = await fromDist<typeof import('../src/deployment/engine-process.js')>(
    'deployment/engine-process.js',
  );
  const { connectNatsBus } =
    await fromDist<typeof import('../src/actors/bus/index.js')>('actors/bus/index.js');
  const { createLogger } = await fromDist<typeof import('../src/actors/logger.js')>('actors/logger.js');
  const nats = await startNatsServer({});
  const project = await tempProject('lily-bench-');
  // LILY_BENCH_PROJECTOR=inline|thread: where the engine writes receipts (decision 032; default thread).
  const projectorMode = process.env.LILY_BENCH_PROJECTOR;
  if (projectorMode === 'inline' || projectorMode === 'thread')
    appendFileSync(join(project.dir, '.lily', 'config.yaml'), `projector: ${projectorMode}\n`);
  project.file('policy.yaml', POLICY);
  project.job('w3', W3);
  project.job('parked', PARKED);
  for (const [id, yaml] of Object.entries(o.jobs ?? {})) project.job(id, yaml);
  const timeline = await new Timeline().install();
  const log = engineLog(createLogger, project.dir);
  const engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url, cron: false });
  const worker = new ProbedWorker(project.dir, nats.url);
  const client = await connectNatsBus({ servers: nats.url, name: 'bench' });
  const stop = async () => {
    timeline.uninstall();
    await stopChild(worker.child);
    await engine.stop();
    await client.close();
    await nats.stop();
    project.remove();
  };
  try {
    for (;;) {
      try {
        await client.request('lily.default.sys.ping.worker-bench', {}, { timeoutMs: 500 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { nats, engine, worker, client, timeline, runner: new Runner(client, timeline), stop };
};

export const run = async (): Promise<Record<string, unknown>> => {
  if (process.env.LILY_BENCH_PIPELINE === 'ledger') return { ledger: await ledgerVariants() };
  const lily = await startLilyW3();
  const { nats, engine, worker, client, timeline, runner } = lily;
  const loadAt: Record<string, number[]> = { start: load() };
  try {
    // Warm-up, as the peer's: it runs 100 workflows at 64 in flight first and measures its
    // latency after its 2,000-workflow throughput phase, with the JIT done. 200 runs one at a
    // time leave much of Lily's path unoptimized (p50 10.5 ms against 6.3 after the same
    // warm-up as the peer, side by side: decision 042), so both warm up at 64 in flight.
    for (let i = 0; i < 50; i++) await runner.run('w3');
    await throughput(runner, 64, WARMUP_AT_64_MS, undefined, 'w3', engine);
    const plain = await sequential(runner, SEQ);
    // The same, every probe on: the latency budget.
    timeline.enable(true);
    await worker.probe(true);
    const gcPauses = watchGc();
    const probed = await sequential(runner, SEQ);
    gcPauses.stop();
    await new Promise((r) => setTimeout(r, 200)); // the last projection
    timeline.enable(false);
    await worker.probe(false);
    const enginePoints = timeline.take();
    const workerPoints = await worker.take();
    const budget = analyzeBudget(enginePoints, workerPoints, probed.windows, gcPauses.pauses);
    const probeCost = await probeOverhead(timeline, (enginePoints.length + workerPoints.length) / SEQ);
    loadAt.afterOneAtATime = load();
    const levels = [];
    const meter = () => usageMeter(worker, nats.pid);
    for (const inFlight of [1, 16, 64, 256])
      levels.push(await throughput(runner, inFlight, SECONDS * 1000, meter, 'w3', engine));
    loadAt.afterThroughput = load();
    const profile = await profiled(runner, worker, Math.min(SECONDS, 4) * 1000);
    const overhead = await overheads(
      engine,
      plain.windows.map((w) => w.runId),
    );
    const sample = await engine.storage.events.readStream(runStream(plain.windows[0]?.runId as never));
    const memory = await memoryPerRun(engine, client, 1_000);
    const limits = await measureNatsLimits({
      url: nats.url,
      durationMs: 1_500,
      inFlight: [1, 64],
      pubSubMessages: 50_000,
    });
    const lmdb = await flushedPutLatency(sample);
    const machines = machineCosts();
    loadAt.end = load();
    const at64 = levels.find((l) => l.inFlight === 64)?.runsPerSec ?? 0;
    const rr64 = limits.raw.requestReply.inFlightPerSec['64'] ?? 0;
    return {
      dist: distDir(),
      // Where the engine wrote receipts: its projector thread (the default) or its event loop.
      projectorMode: typeof engine.projector.restarts === 'function' ? 'thread' : 'inline',
      loadavg: loadAt,
      warmUp: { oneAtATimeRuns: 50, at64Ms: WARMUP_AT_64_MS },
      oneAtATime: { runs: plain.runs, p50Ms: plain.p50Ms, p99Ms: plain.p99Ms },
      budget: {
        ...budget,
        probedP50Ms: probed.p50Ms,
        probedP99Ms: probed.p99Ms,
        probeCost,
        eventsPerRun: sample.length,
        note:
          'one W3 run at a time with every probe on; p50 of each segment summed over a run, in the ' +
          'order a run meets them; mean shares add up to the mean latency (coverage 1.0)',
      },
      levelSeconds: SECONDS,
      throughput: levels,
      profile,
      ...overhead,
      memory,
      rawLimits: {
        natsRequestReplySequentialPerSec: limits.raw.requestReply.sequentialPerSec,
        natsRequestReplySequentialP50Ms: limits.raw.requestReply.sequentialP50Us / 1000,
        natsRequestReplySequentialP99Ms: limits.raw.requestReply.sequentialP99Us / 1000,
        natsRequestReply64InFlightPerSec: rr64,
        natsPubSubMsgsPerSec: limits.raw.pubSubMsgsPerSec,
        busRequestReplySequentialP50Ms: limits.bus.requestReply.sequentialP50Us / 1000,
        // Engine and worker are two processes: a dispatch's hops cost at least this.
        natsCrossProcess: {
          p50Ms: limits.crossProcess.p50Us / 1000,
          p99Ms: limits.crossProcess.p99Us / 1000,
          afterPauseP50Ms: limits.crossProcess.afterPauseP50Us / 1000,
          afterPauseP99Ms: limits.crossProcess.afterPauseP99Us / 1000,
          pauseMs: limits.crossProcess.pauseMs,
        },
        lmdbFlushedPut: lmdb,
        machines,
      },
      ratios: {
        w3RunsPerSecAt64VsRequestReplyPerSec: r2(at64 / Math.max(1, rr64)),
        note: 'a W3 run needs at least 3 dispatch round trips, so the NATS-bound ceiling is rr64/3 runs/s',
        w3At64VsNatsCeiling: r2(at64 / Math.max(1, rr64 / 3)),
      },
      targets: { oneAtATimeP99Ms: 6, bytesPerActiveRun: 50_000, vsBullmqAofAt64: 3 },
      ledger: await ledgerVariants(),
    };
  } finally {
    await lily.stop();
  }
};
