/**
 * W3: a job of three sequential steps, each an in-process executor (`echo`) returning a small
 * JSON object, run through the engine and a separate worker process over a real nats-server,
 * every event flushed before it is acknowledged. Reported next to the raw limits measured in
 * the same run: NATS request/reply (a dispatch is one round trip), LMDB group commit.
 */
import { join } from 'node:path';
import type { Bus } from '../src/actors/bus/bus.js';
import { connectNatsBus } from '../src/actors/bus/index.js';
import { memoryLogger } from '../src/actors/logger.js';
import { runRequestReplySchema } from '../src/actors/messages.js';
import { eventTypePattern, schedSubject } from '../src/actors/subjects.js';
import { runStream, type StoredEvent } from '../src/contracts/index.js';
import { type RunningEngine, startEngineProcess } from '../src/deployment/engine-process.js';
import { spawnDaemon, stopChild, tempProject } from '../test/helpers/lily-project.js';
import { startNatsServer } from '../test/helpers/nats-server.js';
import { measureNatsLimits } from './nats.bench.js';

export const name = 'pipeline';

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
const W3 = `id: w3
title: W3
target: { kind: blueprint, id: pipeline.v1 }
runtime: { concurrency: 1024 }
bindings:
  steps:
    - { id: a, executor: echo, with: { value: { a: 1 } } }
    - { id: b, executor: echo, with: { value: { b: 2 } } }
    - { id: c, executor: echo, with: { value: { c: 3 } } }
`;
const PARKED = W3.replace('id: w3', 'id: parked').replace('title: W3', 'title: parked');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};
const r2 = (n: number) => Math.round(n * 100) / 100;

class Runner {
  readonly #waiting = new Map<string, (t: number) => void>();
  constructor(private readonly client: Bus) {
    client.subscribe(eventTypePattern('default', 'run.completed'), (m) => {
      const e = m.json() as StoredEvent;
      this.#waiting.get(e.stream.slice(4))?.(performance.now());
    });
  }
  /** Requests a run and resolves with [request→reply ms, request→completed ms]. */
  async run(jobId: string): Promise<{ runId: string; latencyMs: number }> {
    const t0 = performance.now();
    let runId = '';
    const done = new Promise<number>((resolve) => {
      const reply = this.client.requestTyped(
        schedSubject('default'),
        { type: 'run.request', jobId },
        runRequestReplySchema,
        { timeoutMs: 30_000 },
      );
      void reply.then((r) => {
        if (!r.ok) throw new Error(r.error.message);
        runId = r.runId;
        this.#waiting.set(r.runId, resolve);
      });
    });
    const t1 = await done;
    this.#waiting.delete(runId);
    return { runId, latencyMs: t1 - t0 };
  }
}

const throughput = async (runner: Runner, inFlight: number, durationMs: number, jobId = 'w3') => {
  let completed = 0;
  const until = performance.now() + durationMs;
  const started = performance.now();
  const lane = async () => {
    while (performance.now() < until) {
      await runner.run(jobId);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  return {
    inFlight,
    runs: completed,
    runsPerSec: Math.round(completed / seconds),
    stepsPerSec: Math.round((completed * 3) / seconds),
  };
};

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
const memoryPerRun = async (runner: Runner, engine: RunningEngine, client: Bus, n: number) => {
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
  void runner;
  return {
    activeRuns: engine.host.inFlight(),
    bytesPerActiveRun: Math.round((after - before) / n),
    gcForced: gc !== undefined,
  };
};

const W3_NOTE = `id: w3-note
title: W3 over a side-effecting in-process executor (every dispatch granted and claimed)
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
  const { openLilyStorage } = await import('../src/eventstore/storage.js');
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
 * the same nats-server (JetStream on): W3 over `note`, a side-effecting in-process executor, so
 * each of the 3 dispatches of a run is granted and claimed (claim + complete: two
 * compare-and-sets) in the ledger under test. `LILY_BENCH_PIPELINE=ledger npm run bench pipeline`
 * runs only this.
 */
export const ledgerVariants = async (o = { sequentialRuns: 200, durationMs: 5_000 }) => {
  const nats = await startNatsServer({ jetstream: true });
  const out: Record<string, unknown> = {};
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
        log: memoryLogger(),
        nats: nats.url,
        cron: false,
      });
      const worker = spawnDaemon('worker', {
        dir: project.dir,
        nats: nats.url,
        id: `bench-${ledger}`,
        extra: ['--concurrency', '256', '--ledger', ledger],
      });
      const client = await connectNatsBus({ servers: nats.url, name: `bench-${ledger}` });
      try {
        for (;;) {
          try {
            await client.request(`lily.default.sys.ping.worker-bench-${ledger}`, {}, { timeoutMs: 500 });
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        const runner = new Runner(client);
        for (let i = 0; i < 30; i++) await runner.run('w3-note');
        const sequential: number[] = [];
        for (let i = 0; i < o.sequentialRuns; i++) sequential.push((await runner.run('w3-note')).latencyMs);
        const at64 = await throughput(runner, 64, o.durationMs, 'w3-note');
        out[ledger] = {
          oneAtATime: {
            runs: sequential.length,
            p50Ms: r2(pct(sequential, 0.5)),
            p99Ms: r2(pct(sequential, 0.99)),
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
    return out;
  } finally {
    await nats.stop();
  }
};

export const run = async (): Promise<Record<string, unknown>> => {
  if (process.env.LILY_BENCH_PIPELINE === 'ledger') return { ledger: await ledgerVariants() };
  const nats = await startNatsServer({});
  const project = await tempProject('lily-bench-');
  project.file('policy.yaml', POLICY);
  project.job('w3', W3);
  project.job('parked', PARKED);
  const log = memoryLogger();
  const engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url, cron: false });
  const worker = spawnDaemon('worker', {
    dir: project.dir,
    nats: nats.url,
    id: 'bench',
    extra: ['--concurrency', '256'],
  });
  const client = await connectNatsBus({ servers: nats.url, name: 'bench' });
  try {
    for (;;) {
      try {
        await client.request('lily.default.sys.ping.worker-bench', {}, { timeoutMs: 500 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const runner = new Runner(client);
    for (let i = 0; i < 50; i++) await runner.run('w3'); // warm up
    const sequential: number[] = [];
    const sampleIds: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { runId, latencyMs } = await runner.run('w3');
      sequential.push(latencyMs);
      sampleIds.push(runId);
    }
    const levels = [];
    for (const inFlight of [1, 16, 64, 256]) levels.push(await throughput(runner, inFlight, 5_000));
    const overhead = await overheads(engine, sampleIds);
    const memory = await memoryPerRun(runner, engine, client, 1_000);
    const limits = await measureNatsLimits({
      url: nats.url,
      durationMs: 1_500,
      inFlight: [1, 64],
      pubSubMessages: 50_000,
    });
    const at64 = levels.find((l) => l.inFlight === 64)?.runsPerSec ?? 0;
    const rr64 = limits.raw.requestReply.inFlightPerSec['64'] ?? 0;
    return {
      oneAtATime: {
        runs: sequential.length,
        p50Ms: r2(pct(sequential, 0.5)),
        p99Ms: r2(pct(sequential, 0.99)),
      },
      throughput: levels,
      ...overhead,
      memory,
      rawLimits: {
        natsRequestReplySequentialPerSec: limits.raw.requestReply.sequentialPerSec,
        natsRequestReply64InFlightPerSec: rr64,
        natsPubSubMsgsPerSec: limits.raw.pubSubMsgsPerSec,
      },
      ratios: {
        w3RunsPerSecAt64VsRequestReplyPerSec: r2(at64 / Math.max(1, rr64)),
        note: 'a W3 run needs at least 3 dispatch round trips, so the NATS-bound ceiling is rr64/3 runs/s',
        w3At64VsNatsCeiling: r2(at64 / Math.max(1, rr64 / 3)),
      },
      targets: { runsPerSecAt64: 3500, oneAtATimeP50Ms: 3, oneAtATimeP99Ms: 6, bytesPerActiveRun: 50_000 },
      ledger: await ledgerVariants(),
    };
  } finally {
    await stopChild(worker);
    await engine.stop();
    await client.close();
    await nats.stop();
    project.remove();
    void join;
  }
};
