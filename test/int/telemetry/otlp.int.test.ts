/**
 * Must show (issue 14): an OTLP/HTTP receiver gets one trace per run, with the worker's spans
 * parented under the engine's across processes. A real nats-server, the engine in this process
 * (`startEngineProcess`) and a worker daemon in another (`daemon-main.ts worker`), both turned
 * on by `telemetry.otlp.endpoint` in `.lily/config.yaml`; the receiver decodes what the
 * OpenTelemetry exporters POST. The step's own process gets TRACEPARENT: the worker's span.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { runSpanId, runTraceId } from '../../../src/actors/tracing/trace-ids.js';
import { type RunId, runStream, type StoredEvent } from '../../../src/contracts/index.js';
import { parseTraceparent } from '../../../src/contracts/tracing.js';
import { type RunningEngine, startEngineProcess } from '../../../src/deployment/engine-process.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../../helpers/otlp-receiver.js';

let nats: NatsServerHandle;
let otlp: OtlpReceiver;
let project: Awaited<ReturnType<typeof tempProject>>;
let engine: RunningEngine | undefined;
let worker: ReturnType<typeof spawnDaemon> | undefined;
let client: Bus;
const log = memoryLogger();
const runs: { runId: RunId; events: StoredEvent[] }[] = [];

const JOB = `id: traced
title: a traced pipeline
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - id: a
      run: [node, -e, "console.log(JSON.stringify({tp: process.env.TRACEPARENT ?? null}))"]
      json_output: true
      timeout_ms: 20000
      gates: [{ id: ok, run: [node, -e, ""] }]
    - id: b
      run: [node, -e, "process.exit(process.env.LILY_ATTEMPT === '1' ? 3 : 0)"]
      retries: 1
      backoff_ms: 20
      timeout_ms: 20000
`;

const requestRun = async (): Promise<RunId> => {
  const reply = await client.requestTyped(
    schedSubject('default'),
    { type: 'run.request', jobId: 'traced' },
    runRequestReplySchema,
    { timeoutMs: 10_000 },
  );
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.runId as RunId;
};

const completed = async (runId: RunId): Promise<StoredEvent[]> => {
  for (let i = 0; i < 3_000; i++) {
    const events = (await engine?.storage.events.readStream(runStream(runId))) ?? [];
    if (events.some((e) => e.type === 'run.completed')) return events;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`run ${runId} did not complete: ${JSON.stringify(log.entries.slice(-5))}`);
};

beforeAll(async () => {
  nats = await startNatsServer({});
  otlp = await startOtlpReceiver();
  project = await tempProject();
  appendFileSync(
    join(project.dir, '.lily', 'config.yaml'),
    `telemetry:\n  otlp:\n    endpoint: ${otlp.endpoint}\n`,
  );
  project.job('traced', JOB);
  engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url });
  worker = spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1' });
  client = await connectNatsBus({ servers: nats.url, name: 'test-client' });
  // Two runs, one after the other, through the separate worker process.
  for (let i = 0; i < 2; i++) {
    const runId = await requestRun();
    runs.push({ runId, events: await completed(runId) });
  }
  // Stopping flushes: the worker on SIGTERM, the engine in stop().
  expect(await stopChild(worker)).toBe(0);
  worker = undefined;
  await engine.stop();
  engine = undefined;
}, 120_000);

afterAll(async () => {
  if (worker) await stopChild(worker);
  await engine?.stop();
  await client?.close();
  await otlp?.stop();
  await nats?.stop();
  project?.remove();
});

const of = (spans: readonly ReceivedSpan[], service: string, name: string): ReceivedSpan[] =>
  spans.filter((s) => s.service === service && s.name === name);

describe('OpenTelemetry traces over OTLP/HTTP, engine and worker in separate processes', () => {
  it('the receiver got one trace per run, each with one root span from the engine', () => {
    expect(otlp.refused).toEqual([]);
    for (const { events } of runs) expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
    const traces = new Set(otlp.spans.map((s) => s.traceId));
    expect([...traces].sort()).toEqual(runs.map((r) => runTraceId(r.runId)).sort());
    for (const { runId } of runs) {
      const trace = otlp.spans.filter((s) => s.traceId === runTraceId(runId));
      const roots = trace.filter((s) => s.parentSpanId === undefined);
      expect(roots.map((s) => [s.service, s.name])).toEqual([['lily-engine', 'run traced']]);
      expect(roots[0]).toMatchObject({
        spanId: runSpanId(runId, 'run'),
        status: 1,
        attributes: { 'lily.run_id': runId, 'lily.job_id': 'traced', 'lily.outcome': 'succeeded' },
      });
      // Every span hangs under a span of the same trace (none orphaned, none from another run).
      const ids = new Set(trace.map((s) => s.spanId));
      for (const s of trace) if (s !== roots[0]) expect(ids.has(s.parentSpanId as string), s.name).toBe(true);
      expect(trace.every((s) => s.attributes['lily.run_id'] === runId)).toBe(true);
    }
  });

  it("parents each of the worker process's spans under the engine's span of that dispatch", () => {
    for (const { runId } of runs) {
      const trace = otlp.spans.filter((s) => s.traceId === runTraceId(runId));
      const pairs: [string, string][] = [
        ['step a', 'execute a'],
        ['gate a/ok', 'execute gate a/ok'],
        ['step b', 'execute b'],
      ];
      for (const [engineName, workerName] of pairs) {
        const dispatches = of(trace, 'lily-engine', engineName);
        expect(dispatches.length, engineName).toBeGreaterThan(0);
        for (const d of dispatches) {
          expect(d.spanId).toBe(runSpanId(runId, d.attributes['lily.dispatch_id'] as string));
          const children = of(trace, 'lily-worker', workerName).filter((w) => w.parentSpanId === d.spanId);
          expect(children, `${workerName} under ${engineName}`).toHaveLength(1);
          const child = children[0] as ReceivedSpan;
          expect(child.resource).toMatchObject({ 'service.instance.id': 'w1' });
          expect(child.attributes).toMatchObject({
            'lily.run_id': runId,
            'lily.dispatch_id': d.attributes['lily.dispatch_id'],
            'lily.worker': 'w1',
          });
          // The worker ran inside the engine's dispatch span.
          expect(child.start).toBeGreaterThanOrEqual(d.start);
          expect(child.end).toBeLessThanOrEqual(d.end);
        }
      }
      // b failed once and was retried: two attempts, each with its worker span; a backoff between.
      const attempts = of(trace, 'lily-engine', 'step b').map((s) => [
        s.attributes['lily.attempt'],
        s.status,
      ]);
      expect(attempts.sort()).toEqual([
        [1, 2],
        [2, 1],
      ]);
      expect(of(trace, 'lily-engine', 'backoff b')).toHaveLength(1);
    }
  });

  it("gives the step's process the worker span as TRACEPARENT", () => {
    for (const { runId, events } of runs) {
      const a = events.find(
        (e) => e.type === 'step.succeeded' && (e.data as { stepId: string }).stepId === 'a',
      );
      if (!a) throw new Error(`run ${runId} has no step.succeeded for a`);
      const tp = parseTraceparent((a.data as { output: { json: { tp: string } } }).output.json.tp);
      const executed = of(otlp.spans, 'lily-worker', 'execute a').find(
        (s) => s.traceId === runTraceId(runId),
      ) as ReceivedSpan;
      expect(tp).toEqual({ traceId: runTraceId(runId), spanId: executed.spanId, sampled: true });
    }
  });

  it('the worker logged that it exports traces, and the engine did too', () => {
    const lines = readFileSync(join(project.dir, '.lily', 'logs', 'worker-w1.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.event === 'telemetry.started')).toMatchObject({ service: 'lily-worker' });
    expect(log.entries.find((e) => e.event === 'telemetry.started')).toMatchObject({
      service: 'lily-engine',
    });
    expect([...lines, ...log.entries].filter((e) => e.event === 'telemetry.export_failed')).toEqual([]);
  });
});
