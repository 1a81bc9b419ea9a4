/**
 * Traces of runs through a composed engine (in-memory log and bus, the in-process worker) and
 * the OpenTelemetry SDK adapter exporting to an in-memory exporter: one trace per run whose id
 * derives from the run id, worker spans under the engine's dispatch spans, shards under their
 * partition, an engine restarted mid-run continuing the same trace; and with tracing off, no
 * span, no trace context on dispatches, no trace ids in logs.
 */
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryLogger } from '../../../../src/actors/logger.js';
import { readApproval } from '../../../../src/actors/policy/approvals.js';
import { execSubject } from '../../../../src/actors/subjects.js';
import { runSpanId, runTraceId } from '../../../../src/actors/tracing/trace-ids.js';
import { compileBlueprint, createBuiltinCatalog, defineBlueprint } from '../../../../src/blueprints/index.js';
import type { ExecutorFn } from '../../../../src/contracts/executor.js';
import { hashJson, type RunId, runStream } from '../../../../src/contracts/index.js';
import {
  formatTraceparent,
  type Span,
  type SpanOptions,
  type Tracer,
} from '../../../../src/contracts/tracing.js';
import { createOtelTracer } from '../../../../src/deployment/otel-tracer.js';
import { createInMemoryEventStore, createUlidGenerator } from '../../../../src/eventstore/index.js';
import { startTestEngine, type TestEngine, waitCompleted } from '../../../helpers/test-engine.js';

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

const settings = { url: 'http://127.0.0.1:1/v1/traces', headers: {}, source: 'config' as const };

/** A tracer over the real SDK, exporting into memory. */
const otel = () => {
  const exporter = new InMemorySpanExporter();
  const tracer = createOtelTracer({ service: 'lily-engine', settings, log: memoryLogger(), exporter });
  return {
    tracer,
    async spans(): Promise<ReadableSpan[]> {
      await tracer.flush();
      return exporter.getFinishedSpans();
    },
  };
};

/** Fails its first attempt, succeeds on the next; logs through ctx.log each time. */
const flaky: ExecutorFn = async ({ request, log }) => {
  log.info({ attempt: request.attempt }, 'flaky step');
  if (request.attempt === 1) throw new Error('ECONNRESET');
  return { output: { attempt: request.attempt }, artifacts: [] };
};

const catalogWithFlaky = () => {
  const catalog = createBuiltinCatalog();
  catalog.executors.set('flaky', {
    name: 'flaky',
    summary: 'flaky',
    sideEffects: 'none',
    owner: 'test',
    run: flaky,
  });
  return catalog;
};

const job = [
  'id: traced',
  'title: traced',
  'target: {kind: blueprint, id: pipeline.v1}',
  'bindings: {steps: [{id: a, executor: flaky, retries: 1, backoff_ms: 5}, {id: b, executor: echo, with: {value: {ok: true}}}]}',
].join('\n');

/** A blueprint whose one step fans out over two shards (the built-in `list` partitioner). */
const fanOut = defineBlueprint({
  id: 'fan.v1',
  version: '1.0.0',
  summary: 'one partitioned step',
  bindings: z.object({ approval: z.boolean().default(false) }),
  input: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
  compile: (b) => ({
    steps: [
      {
        id: 'p',
        executor: 'echo',
        partition: { partitioner: 'list', with: { items: ['x', 'y'] }, concurrency: 2 },
        ...(b.approval ? { approval: { reason: 'a human looks first' } } : {}),
      },
    ],
    output: { p: { from: 'step', step: 'p' } },
  }),
});

/** Starts a run of `fanOut` straight through the run host, as the scheduler would. */
const startFanOut = async (t: TestEngine, bindings: { approval?: boolean }): Promise<RunId> => {
  const runId = createUlidGenerator().runId();
  const { plan, planHash } = compileBlueprint(t.catalog, fanOut, bindings);
  const base = { runId, jobId: 'fan', input: {}, dryRun: false, principal: 'operator' };
  await t.store.append(runStream(runId), [
    {
      id: `${runId}/requested`,
      type: 'run.requested',
      at: Date.now(),
      data: { ...base, trigger: { kind: 'manual' } },
      meta: { producer: 'test', correlationId: runId },
    },
  ]);
  const started = {
    ...base,
    blueprint: plan.blueprint,
    bindings,
    plan,
    planHash,
    inputHash: hashJson({}),
    kernelVersion: '0.1.0',
    env: {},
  };
  await t.engine.host.deliver(runId, [
    { id: `${runId}/started`, type: 'run.started', at: Date.now(), data: started, producer: 'test' },
  ]);
  return runId;
};

const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
const byName = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] =>
  spans.filter((s) => s.name === name);
const one = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const found = byName(spans, name);
  expect(
    found.map((s) => s.name),
    name,
  ).toEqual([name]);
  return found[0] as ReadableSpan;
};

describe('a trace per run through the composed engine, exported by the OpenTelemetry SDK', () => {
  it('one trace per run: a root span, attempt spans under it, the worker span under each attempt', async () => {
    const { tracer, spans } = otel();
    const log = memoryLogger();
    const t = await startTestEngine({
      catalog: catalogWithFlaky(),
      jobs: { traced: job },
      log,
      ports: { tracer },
    });
    engines.push(t);
    const first = await t.engine.scheduler.requestRun({ jobId: 'traced', trigger: { kind: 'manual' } });
    const second = await t.engine.scheduler.requestRun({ jobId: 'traced', trigger: { kind: 'manual' } });
    for (const { runId } of [first, second]) await waitCompleted(t.store, runId);
    const all = await spans();

    for (const { runId } of [first, second]) {
      const traceId = runTraceId(runId);
      const mine = all.filter((s) => s.attributes['lily.run_id'] === runId);
      expect(new Set(mine.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
      expect(all.filter((s) => s.spanContext().traceId === traceId)).toHaveLength(mine.length);
      const root = one(mine, 'run traced');
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.spanContext().spanId).toBe(runSpanId(runId, 'run'));
      expect(root.status.code).toBe(1); // OK
      expect(root.resource.attributes['service.name']).toBe('lily-engine');
      // Every other span of the run has its parent in the same trace.
      const ids = new Set(mine.map((s) => s.spanContext().spanId));
      for (const s of mine) if (s !== root) expect(ids.has(parentOf(s) as string), s.name).toBe(true);

      const attempts = byName(mine, 'step a').sort(
        (x, y) => Number(x.attributes['lily.attempt']) - Number(y.attributes['lily.attempt']),
      );
      expect(attempts.map((s) => [s.attributes['lily.attempt'], s.status.code])).toEqual([
        [1, 2], // ERROR
        [2, 1], // OK
      ]);
      for (const attempt of attempts) {
        const dispatchId = attempt.attributes['lily.dispatch_id'] as string;
        expect(attempt.spanContext().spanId).toBe(runSpanId(runId, dispatchId));
        expect(parentOf(attempt)).toBe(root.spanContext().spanId);
        const worker = mine.filter(
          (s) => s.name === 'execute a' && s.attributes['lily.dispatch_id'] === dispatchId,
        );
        expect(worker).toHaveLength(1);
        expect(parentOf(worker[0] as ReadableSpan)).toBe(attempt.spanContext().spanId);
        expect(worker[0]?.attributes).toMatchObject({ 'lily.worker': 'w1', 'lily.executor': 'flaky' });
      }
      const backoff = one(mine, 'backoff a');
      expect(backoff.attributes).toMatchObject({ 'lily.next_attempt': 2 });
      expect(parentOf(one(mine, 'execute b'))).toBe(one(mine, 'step b').spanContext().spanId);

      // What the executor logged carries the ids of the worker's span.
      const workerSpan = mine.find((s) => s.name === 'execute a' && s.attributes['lily.attempt'] === 2);
      const entry = log.entries.find(
        (e) => e.msg === 'flaky step' && e.attempt === 2 && e.trace_id === traceId,
      );
      expect(entry).toMatchObject({ span_id: workerSpan?.spanContext().spanId });
    }
  });

  it('shards are children of their partition span; the partitioner runs under it too', async () => {
    const { tracer, spans } = otel();
    const t = await startTestEngine({ ports: { tracer } });
    engines.push(t);
    const runId = await startFanOut(t, {});
    const { done } = await waitCompleted(t.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    const mine = (await spans()).filter((s) => s.spanContext().traceId === runTraceId(runId));
    const partition = one(mine, 'partition p');
    expect(partition.spanContext().spanId).toBe(runSpanId(runId, `${runId}/p/1:partition`));
    expect(parentOf(partition)).toBe(runSpanId(runId, 'run'));
    expect(parentOf(one(mine, 'plan partition p'))).toBe(partition.spanContext().spanId);
    const shards = byName(mine, 'step p');
    expect(shards.map((s) => s.attributes['lily.shard']).sort()).toEqual(['0', '1']);
    for (const shard of shards) {
      expect(parentOf(shard)).toBe(partition.spanContext().spanId);
      const worker = mine.filter((s) => s.name === 'execute p' && parentOf(s) === shard.spanContext().spanId);
      expect(worker).toHaveLength(1);
    }
    // The partition ends once both shards answered, with the step's success.
    const lastShardEnd = Math.max(...shards.map((s) => s.endTime[0] * 1e3 + s.endTime[1] / 1e6));
    expect(partition.endTime[0] * 1e3 + partition.endTime[1] / 1e6).toBeGreaterThanOrEqual(lastShardEnd);
    expect(partition.status.code).toBe(1);
  });

  it('an engine restarted during an approval wait continues the same trace: same ids, original start times', async () => {
    const store = createInMemoryEventStore();
    const before = otel();
    const t1 = await startTestEngine({ store, ports: { tracer: before.tracer } });
    const runId = await startFanOut(t1, { approval: true });
    const approvalRecorded = async (): Promise<string | undefined> => {
      const asked = (await store.readStream(runStream(runId))).find((e) => e.type === 'approval.requested');
      const id = (asked?.data as { approvalId?: string } | undefined)?.approvalId;
      return id !== undefined && (await readApproval(store, id)) !== undefined ? id : undefined;
    };
    let approvalId: string | undefined;
    for (let i = 0; i < 1_000 && approvalId === undefined; i++) {
      approvalId = await approvalRecorded();
      if (approvalId === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    if (approvalId === undefined) throw new Error('the run never asked for its approval');
    await t1.stop();
    const exportedBefore = await before.spans();
    // Nothing of the run's root or its approval wait was exported yet: both are still open.
    expect(exportedBefore.map((s) => s.name)).toEqual(['policy p']);

    const after = otel();
    const t2 = await startTestEngine({ store, ports: { tracer: after.tracer } });
    engines.push(t2);
    await t2.engine.answers.answerApproval({ type: 'approval.answer', approvalId, granted: true, by: 'ann' });
    const { events } = await waitCompleted(store, runId);
    const exportedAfter = await after.spans();

    const all = [...exportedBefore, ...exportedAfter];
    const ids = all.map((s) => s.spanContext().spanId);
    expect(new Set(ids).size, 'no span exported twice').toBe(ids.length);
    expect(new Set(all.map((s) => s.spanContext().traceId))).toEqual(new Set([runTraceId(runId)]));
    const root = one(exportedAfter, 'run fan');
    expect(root.spanContext().spanId).toBe(runSpanId(runId, 'run'));
    const requestedAt = (events[0] as { at: number }).at;
    expect(root.startTime[0] * 1e3 + Math.round(root.startTime[1] / 1e6)).toBe(requestedAt);
    const approval = one(exportedAfter, 'approval p');
    const requested = events.find((e) => e.type === 'approval.requested') as { at: number };
    expect(approval.startTime[0] * 1e3 + Math.round(approval.startTime[1] / 1e6)).toBe(requested.at);
    expect(approval.attributes).toMatchObject({ 'lily.approved_by': 'ann', 'lily.outcome': 'granted' });
    expect(parentOf(one(exportedBefore, 'policy p'))).toBe(root.spanContext().spanId);
    for (const s of all) if (s !== root) expect(ids.includes(parentOf(s) as string), s.name).toBe(true);
  });
});

describe('log entries within a run or a dispatch carry its trace', () => {
  it("the run host's entries about a run carry the run's trace id and root span id", async () => {
    const { tracer } = otel();
    const log = memoryLogger();
    const t = await startTestEngine({ log, ports: { tracer } });
    engines.push(t);
    const runId = await startFanOut(t, { approval: true });
    await t.engine.host.deliver(runId, [
      { id: 'forged', type: 'step.succeeded', at: Date.now(), data: { stepId: 'p' }, producer: 'test' },
    ]);
    expect(log.entries.find((e) => e.event === 'message.rejected' && e.id === 'forged')).toMatchObject({
      level: 'warn',
      runId,
      trace_id: runTraceId(runId),
      span_id: runSpanId(runId, 'run'),
    });
  });

  it("a worker's entries about a dispatch carry the ids of its span, a child of the dispatch's trace context", async () => {
    const { tracer, spans } = otel();
    const log = memoryLogger();
    const t = await startTestEngine({ log, ports: { tracer } });
    engines.push(t);
    const runId = createUlidGenerator().runId();
    const parent = { traceId: runTraceId(runId), spanId: runSpanId(runId, `${runId}/x/1`), sampled: true };
    // A dispatch without a seal: the worker refuses it (and says so in its log).
    t.bus.publish(execSubject('test', 'command'), {
      items: [
        {
          kind: 'step',
          runId,
          jobId: 'forged',
          traceparent: formatTraceparent(parent),
          data: {
            stepId: 'x',
            attempt: 1,
            dispatchId: `${runId}/x/1`,
            executor: 'command',
            input: null,
            idempotent: true,
            dryRun: false,
            with: { argv: ['node', '-e', ''] },
          },
        },
      ],
    });
    let refused: (typeof log.entries)[number] | undefined;
    for (let i = 0; i < 500 && !refused; i++) {
      refused = log.entries.find((e) => e.event === 'dispatch.refused');
      if (!refused) await new Promise((r) => setTimeout(r, 10));
    }
    const [span] = (await spans()).filter((s) => s.name === 'execute x');
    expect(span?.parentSpanContext?.spanId).toBe(parent.spanId);
    expect(span?.spanContext().traceId).toBe(parent.traceId);
    expect(span?.status).toMatchObject({ code: 2 });
    expect(span?.attributes).toMatchObject({ 'lily.outcome': 'refused', 'lily.refusal': 'unsealed' });
    expect(refused).toMatchObject({ trace_id: parent.traceId, span_id: span?.spanContext().spanId });
  });
});

describe('tracing off', () => {
  it('starts no span, puts no trace context on dispatches and no trace ids in the log', async () => {
    const calls: string[] = [];
    const off: Tracer = {
      enabled: false,
      startSpan(o: SpanOptions): Span {
        calls.push(o.name);
        throw new Error('a disabled tracer was asked for a span');
      },
      flush: async () => {
        calls.push('flush');
      },
      shutdown: async () => {
        calls.push('shutdown');
      },
    };
    const log = memoryLogger();
    const t = await startTestEngine({
      catalog: catalogWithFlaky(),
      jobs: { traced: job },
      log,
      ports: { tracer: off },
    });
    engines.push(t);
    const items: unknown[] = [];
    const sub = t.bus.subscribe('lily.test.cmd.exec.>', (m) => {
      items.push(...(m.json() as { items: unknown[] }).items);
    });
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'traced', trigger: { kind: 'manual' } });
    const { done } = await waitCompleted(t.store, runId);
    sub.unsubscribe();
    expect(done.data).toMatchObject({ status: 'succeeded' });
    expect(calls).toEqual([]);
    expect(items.length).toBeGreaterThanOrEqual(3);
    for (const item of items) expect(item).not.toHaveProperty('traceparent');
    expect(log.entries.filter((e) => 'trace_id' in e || 'span_id' in e)).toEqual([]);
    expect(log.entries.some((e) => e.msg === 'flaky step')).toBe(true);
  });
});
