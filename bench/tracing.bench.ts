/**
 * Tracing: what it costs when off (the branch a worker and the run host take per dispatch and
 * per append: time and heap bytes per operation, next to an empty loop measured in the same
 * run), and what it costs when on, per event of a W3 run's log: the pure trace fold alone, and
 * the fold plus OpenTelemetry SDK spans (a BatchSpanProcessor into an exporter that discards),
 * next to the run machine's own fold of the same log (the raw limit of the engine's work per
 * event). Run with --expose-gc for the heap figures.
 */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { RunSlot } from '../src/actors/engine/run-slot.js';
import { silentLogger } from '../src/actors/logger.js';
import { newRunTrace, traceEvent } from '../src/actors/tracing/run-trace-model.js';
import { RunTracer } from '../src/actors/tracing/run-tracer.js';
import { planSchema } from '../src/blueprints/plan.js';
import type { StoredEvent } from '../src/contracts/events/envelope.js';
import type { RunId } from '../src/contracts/ids.js';
import { noopTracer, type Tracer } from '../src/contracts/tracing.js';
import { createOtelTracer } from '../src/deployment/otel-tracer.js';
import { createRunProgram, replay } from '../src/machines/index.js';
import { simulate } from '../src/testing/simulate.js';

export const name = 'tracing';

const gc = (globalThis as { gc?: () => void }).gc;

/** ns per op and heap bytes per op (undefined without --expose-gc) of `n` calls of `fn`. */
const measure = (n: number, fn: (i: number) => unknown): { nsPerOp: number; heapBytesPerOp?: number } => {
  let sink = 0;
  for (let i = 0; i < 100_000; i++) sink += fn(i) === undefined ? 0 : 1; // warm up
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += fn(i) === undefined ? 0 : 1;
  const ns = Number(process.hrtime.bigint() - t0);
  const heap1 = process.memoryUsage().heapUsed;
  if (sink < 0) throw new Error('unreachable');
  return { nsPerOp: ns / n, ...(gc ? { heapBytesPerOp: Math.max(0, heap1 - heap0) / n } : {}) };
};

const w3 = planSchema.parse({
  blueprint: { id: 'bench.w3', version: '1' },
  steps: [
    { id: 'a', executor: 'echo' },
    { id: 'b', executor: 'echo', needs: ['a'] },
    { id: 'c', executor: 'echo', needs: ['b'] },
  ],
});

/** An exporter that takes every span and keeps nothing: the SDK's work without the network. */
const discard = (): SpanExporter & { count: number } => {
  const e = {
    count: 0,
    export(spans: ReadableSpan[], done: (r: { code: 0 }) => void) {
      e.count += spans.length;
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  return e;
};

export const run = async (): Promise<Record<string, unknown>> => {
  // Off: what a worker does per dispatch (`tracer?.enabled ? … : undefined`) and the run host per
  // append (`observer?.appended(…)` with no observer).
  const off: Tracer = noopTracer;
  const observer = undefined as { appended(n: number): void } | undefined;
  const n = 20_000_000;
  const baseline = measure(n, (i) => (i < 0 ? i : undefined));
  const workerBranch = measure(n, (i) => (off.enabled ? off.startSpan({ name: `x${i}` }) : undefined));
  const hostBranch = measure(n, (i) => observer?.appended(i));

  // On: per event of a W3 run's log.
  const program = createRunProgram(w3);
  const logged = simulate(program, []).log;
  const runs = 3_000;
  const events = (runId: string): StoredEvent[] =>
    logged.map((e, i) => ({
      id: `${runId}/${i}`,
      stream: `run/${runId}`,
      seq: e.seq ?? i + 1,
      pos: i + 1,
      type: e.type as StoredEvent['type'],
      at: e.at,
      data: e.data,
      meta: { producer: 'bench' },
    }));
  const runIds = Array.from({ length: runs }, (_, i) => `01JBENCH${String(i).padStart(18, '0')}`);
  const logs = runIds.map(events);
  const perRun = logs[0]?.length ?? 0;

  let t0 = performance.now();
  for (let i = 0; i < runs; i++) replay(program, logged);
  const machineMs = performance.now() - t0;

  t0 = performance.now();
  let ops = 0;
  for (let i = 0; i < runs; i++) {
    const t = newRunTrace(runIds[i] as string);
    for (const e of logs[i] as StoredEvent[]) ops += traceEvent(t, e).length;
  }
  const foldMs = performance.now() - t0;

  const exporter = discard();
  const tracer = createOtelTracer({
    service: 'lily-engine',
    settings: { url: 'http://127.0.0.1:1/v1/traces', headers: {}, source: 'config' },
    log: silentLogger(),
    exporter,
  });
  const runTracer = new RunTracer(tracer, silentLogger());
  let sdkMs = 0;
  for (let i = 0; i < runs; i++) {
    const runId = runIds[i] as RunId;
    const slot = { runId, jobId: 'bench' } as RunSlot;
    t0 = performance.now();
    for (const e of logs[i] as StoredEvent[]) runTracer.appended(slot, [e]);
    sdkMs += performance.now() - t0;
    // Let the batch processor export (its queue is bounded: a synchronous burst would overflow it).
    await new Promise((r) => setImmediate(r));
  }
  await tracer.shutdown();

  const total = runs * perRun;
  return {
    off: {
      emptyLoopNsPerOp: baseline.nsPerOp,
      workerBranch,
      hostBranch,
      note: 'tracing off: one branch per dispatch (worker) and per append (run host); heap bytes per op ~0 means nothing is allocated',
    },
    on: {
      eventsPerRun: perRun,
      spansPerRun: exporter.count / runs,
      spanOpsPerRun: ops / runs,
      usPerEvent: {
        runMachineFold: (machineMs * 1000) / total,
        traceFold: (foldMs * 1000) / total,
        traceFoldWithSdkSpans: (sdkMs * 1000) / total,
      },
      note: 'on: the engine pays traceFoldWithSdkSpans per appended event, next to the machine fold it already pays',
    },
  };
};
