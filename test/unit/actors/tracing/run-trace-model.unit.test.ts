/**
 * The trace fold (given the events of a run's log, when they are folded, then these spans):
 * which events open, annotate and close which spans, with which parent, times and status.
 */
import { describe, expect, it } from 'vitest';
import {
  newRunTrace,
  type RunTrace,
  type SpanOp,
  settleTrace,
  traceEvent,
} from '../../../../src/actors/tracing/run-trace-model.js';
import type { StoredEvent } from '../../../../src/contracts/events/envelope.js';
import type { SpanAttributes, SpanStatus } from '../../../../src/contracts/tracing.js';
import type { RunState } from '../../../../src/machines/types.js';

const RUN = '01JTESTRUN0000000000000000';
const T0 = 1_700_000_000_000;

interface Built {
  key: string;
  name: string;
  parentKey: string | undefined;
  kind: string;
  start: number;
  end?: number;
  status?: SpanStatus;
  attributes: Record<string, unknown>;
  events: { name: string; time: number; attributes?: SpanAttributes }[];
}

/** Applies span ops to plain records: what a tracer would have been told. */
const build = (ops: readonly SpanOp[], spans = new Map<string, Built>()): Map<string, Built> => {
  for (const op of ops) {
    if (op.op === 'start') {
      const { key, name, parentKey, kind, start, attributes } = op.span;
      expect(spans.has(key), `span ${key} started twice`).toBe(false);
      spans.set(key, { key, name, parentKey, kind, start, attributes: { ...attributes }, events: [] });
      continue;
    }
    const span = spans.get(op.key);
    if (!span) throw new Error(`op on unknown span ${op.key}`);
    expect(span.end, `op ${op.op} on ended span ${op.key}`).toBeUndefined();
    if (op.op === 'attributes') Object.assign(span.attributes, op.attributes);
    else if (op.op === 'event') span.events.push({ name: op.name, time: op.time, attributes: op.attributes });
    else if (op.op === 'end') {
      Object.assign(span.attributes, op.attributes);
      span.end = op.time;
      span.status = op.status;
    }
  }
  return spans;
};

/** A run's log, written one event at a time (seq and `at` follow the order). */
const log = () => {
  const events: StoredEvent[] = [];
  const add = (type: string, data: Record<string, unknown>, at = T0 + events.length * 10) => {
    events.push({
      id: `e${events.length + 1}`,
      stream: `run/${RUN}`,
      seq: events.length + 1,
      pos: events.length + 1,
      type: type as StoredEvent['type'],
      at,
      data,
      meta: { producer: 'test' },
    });
    return add;
  };
  return { events, add };
};

const d = (step: string, attempt = 1, shard?: string) =>
  `${RUN}/${step}/${attempt}${shard ? `/${shard}` : ''}`;

const requested = {
  runId: RUN,
  jobId: 'deploy',
  trigger: { kind: 'manual' },
  input: {},
  dryRun: false,
  principal: 'ann',
};
const started = {
  ...requested,
  blueprint: { id: 'pipeline.v1', version: '1.0.0' },
  bindings: {},
  plan: {},
  planHash: 'ph',
  inputHash: 'ih',
  kernelVersion: '0.1.0',
  env: {},
};
const dispatched = (step: string, attempt = 1, shard?: string) => ({
  stepId: step,
  attempt,
  dispatchId: d(step, attempt, shard),
  executor: 'echo',
  input: null,
  idempotent: true,
  dryRun: false,
  ...(shard === undefined ? {} : { shard }),
});
const succeeded = (step: string, attempt = 1, shard?: string) => ({
  stepId: step,
  attempt,
  dispatchId: d(step, attempt, shard),
  output: null,
  artifacts: [],
  durationMs: 3,
  ...(shard === undefined ? {} : { shard }),
});
const failed = (step: string, attempt = 1) => ({
  stepId: step,
  attempt,
  dispatchId: d(step, attempt),
  error: { code: 'blueprint_execution_failed', message: 'ECONNRESET', data: {} },
  retryable: true,
});
const completed = (status: 'succeeded' | 'failed' | 'cancelled', message?: string) => ({
  status,
  envelope: { status, artifacts: [], references: {}, payload: null },
  ...(message ? { error: { code: 'job_execution_failed', message, data: {} } } : {}),
});

const fold = (events: readonly StoredEvent[], t: RunTrace = newRunTrace(RUN)) => {
  const ops = events.flatMap((e) => traceEvent(t, e));
  return { t, ops, spans: build(ops) };
};

describe('the trace of a run, folded from its log', () => {
  it('given a one-step run: a root span from run.requested to run.completed, a policy span, a step span under it', () => {
    const { events, add } = log();
    add('run.requested', requested)('run.started', started)('policy.requested', {
      stepId: 'a',
      attempt: 1,
      executor: 'echo',
      request: {},
    })('policy.decided', { stepId: 'a', attempt: 1, decision: 'allow', reasons: [] })(
      'step.dispatched',
      dispatched('a'),
    )('step.started', { ...dispatched('a'), worker: 'w1' })('step.succeeded', succeeded('a'))(
      'run.completed',
      completed('succeeded'),
    );
    const { spans, t } = fold(events);
    expect([...spans.keys()]).toEqual(['run', 'policy:a/1', d('a')]);
    const root = spans.get('run') as Built;
    expect(root).toMatchObject({
      name: 'run deploy',
      parentKey: undefined,
      start: T0,
      end: T0 + 70,
      status: { code: 'ok' },
      attributes: {
        'lily.run_id': RUN,
        'lily.trigger': 'manual',
        'lily.blueprint': 'pipeline.v1@1.0.0',
        'lily.plan_hash': 'ph',
        'lily.outcome': 'succeeded',
      },
    });
    expect(spans.get('policy:a/1')).toMatchObject({ parentKey: 'run', status: { code: 'ok' } });
    expect(spans.get(d('a'))).toMatchObject({
      name: 'step a',
      parentKey: 'run',
      kind: 'producer',
      start: T0 + 40,
      end: T0 + 60,
      status: { code: 'ok' },
      attributes: {
        'lily.run_id': RUN,
        'lily.job_id': 'deploy',
        'lily.step_id': 'a',
        'lily.attempt': 1,
        'lily.dispatch_id': d('a'),
        'lily.executor': 'echo',
        'lily.worker': 'w1',
        'lily.outcome': 'succeeded',
      },
      events: [{ name: 'step.started', time: T0 + 50 }],
    });
    expect(t.open.size).toBe(0);
    expect(t.done).toBe(true);
  });

  it('given a retried step: the failed attempt errs, a backoff span runs to the next dispatch, the retry succeeds', () => {
    const { events, add } = log();
    add('run.requested', requested)('run.started', started)('step.dispatched', dispatched('a'))(
      'step.failed',
      failed('a'),
    )('step.retry_scheduled', { stepId: 'a', attempt: 1, nextAttempt: 2, delayMs: 200 })(
      'step.dispatched',
      dispatched('a', 2),
    )('step.succeeded', succeeded('a', 2))('run.completed', completed('succeeded'));
    const { spans } = fold(events);
    expect(spans.get(d('a', 1))).toMatchObject({
      status: { code: 'error', message: 'ECONNRESET' },
      attributes: {
        'lily.outcome': 'failed',
        'lily.error_code': 'blueprint_execution_failed',
        'lily.retryable': true,
      },
    });
    expect(spans.get('backoff:a/1')).toMatchObject({
      name: 'backoff a',
      parentKey: 'run',
      start: T0 + 40,
      end: T0 + 50,
      attributes: { 'lily.delay_ms': 200, 'lily.next_attempt': 2 },
    });
    expect(spans.get(d('a', 2))).toMatchObject({ status: { code: 'ok' }, attributes: { 'lily.attempt': 2 } });
  });

  it('given a partition: shards are children of the partition span, which ends once the state says the step is done', () => {
    const { events, add } = log();
    const partition = `${RUN}/p/1:partition`;
    add('run.requested', requested)('run.started', started)('partition.requested', {
      stepId: 'p',
      attempt: 1,
      partitioner: 'list',
      with: {},
      input: null,
    })('partition.planned', {
      stepId: 'p',
      attempt: 1,
      partitioner: 'list',
      shards: [
        { key: 'x', input: 1 },
        { key: 'y', input: 2 },
      ],
    })('step.dispatched', dispatched('p', 1, 'x'))('step.dispatched', dispatched('p', 1, 'y'))(
      'step.succeeded',
      succeeded('p', 1, 'x'),
    );
    const { t, ops } = fold(events);
    const busy = { steps: { p: { status: 'dispatched' } } } as unknown as RunState;
    expect(settleTrace(t, busy, T0 + 60)).toEqual([]);
    const { add: more, events: rest } = log();
    for (const e of events) rest.push(e);
    more('step.succeeded', succeeded('p', 1, 'y'), T0 + 70);
    const last = traceEvent(t, rest.at(-1) as StoredEvent);
    const done = { steps: { p: { status: 'succeeded' } } } as unknown as RunState;
    const settled = settleTrace(t, done, T0 + 70);
    const spans = build([...ops, ...last, ...settled]);
    expect(spans.get(partition)).toMatchObject({
      name: 'partition p',
      parentKey: 'run',
      kind: 'producer',
      start: T0 + 20,
      end: T0 + 70,
      status: { code: 'ok' },
      events: [{ name: 'partition.planned', attributes: { 'lily.shards': 2 } }],
    });
    for (const shard of ['x', 'y'])
      expect(spans.get(d('p', 1, shard))).toMatchObject({
        parentKey: partition,
        status: { code: 'ok' },
        attributes: { 'lily.shard': shard },
      });
    expect(t.partitions.size).toBe(0);
  });

  it('given an approval wait and a failed gate: an approval span until granted, a gate span that errs', () => {
    const { events, add } = log();
    const gate = `${RUN}/a/1:gate:lint`;
    add('run.requested', requested)('run.started', started)('approval.requested', {
      stepId: 'a',
      attempt: 1,
      approvalId: 'ap1',
      reason: 'prod',
    })('approval.granted', { stepId: 'a', attempt: 1, approvalId: 'ap1', by: 'bob' })(
      'step.dispatched',
      dispatched('a'),
    )('step.succeeded', succeeded('a'))('gate.dispatched', {
      stepId: 'a',
      attempt: 1,
      dispatchId: gate,
      gateId: 'lint',
      executor: 'command',
      input: {},
    })('gate.failed', {
      stepId: 'a',
      attempt: 1,
      dispatchId: gate,
      gateId: 'lint',
      required: true,
      error: { code: 'blueprint_execution_failed', message: 'lint exited with 1', data: {} },
    })('run.completed', completed('failed', 'step a gate_failed'));
    const { spans } = fold(events);
    expect(spans.get('approval:ap1')).toMatchObject({
      name: 'approval a',
      start: T0 + 20,
      end: T0 + 30,
      status: { code: 'ok' },
      attributes: { 'lily.approved_by': 'bob', 'lily.outcome': 'granted' },
    });
    expect(spans.get(gate)).toMatchObject({
      name: 'gate a/lint',
      parentKey: 'run',
      status: { code: 'error', message: 'lint exited with 1' },
      attributes: { 'lily.gate_id': 'lint', 'lily.required': true },
    });
    expect(spans.get('run')).toMatchObject({
      status: { code: 'error', message: 'step a gate_failed' },
      attributes: { 'lily.outcome': 'failed', 'lily.error_code': 'job_execution_failed' },
    });
  });

  it('given a cancel while a step runs: the open step span ends with the run, status unset', () => {
    const { events, add } = log();
    add('run.requested', requested)('run.started', started)('step.dispatched', dispatched('a'))(
      'run.cancel_requested',
      { by: 'ann', reason: 'wrong branch' },
    )('run.completed', completed('cancelled'));
    const { spans } = fold(events);
    expect(spans.get(d('a'))).toMatchObject({
      end: T0 + 40,
      status: { code: 'unset' },
      attributes: { 'lily.outcome': 'run cancelled' },
    });
    expect(spans.get('run')).toMatchObject({
      status: { code: 'unset' },
      attributes: { 'lily.outcome': 'cancelled' },
      events: [
        { name: 'run.cancel_requested', attributes: { 'lily.by': 'ann', 'lily.reason': 'wrong branch' } },
      ],
    });
  });

  it('given an indeterminate step an operator resolves later: the attempt ends unset, the resolution is its own span', () => {
    const { events, add } = log();
    add('run.requested', requested)('run.started', started)('step.dispatched', dispatched('a'))(
      'step.indeterminate',
      { stepId: 'a', attempt: 1, dispatchId: d('a'), reason: 'found in flight after a restart' },
    )('step.succeeded', succeeded('a'));
    const { spans } = fold(events);
    expect(spans.get(d('a'))).toMatchObject({
      status: { code: 'unset' },
      attributes: { 'lily.outcome': 'indeterminate' },
    });
    expect(spans.get(`resolved:${d('a')}/succeeded`)).toMatchObject({
      name: 'step a resolved',
      parentKey: 'run',
      start: T0 + 40,
      end: T0 + 40,
      status: { code: 'ok' },
    });
  });

  it('given a fork: its root links to the parent run root; re-read and post-completion events cause nothing', () => {
    const { events, add } = log();
    add('run.requested', { ...requested, trigger: { kind: 'rerun' } })('run.started', {
      ...started,
      parent: { runId: '01JPARENT00000000000000000', fromStep: 'b', gatesOnly: false },
    })('run.completed', completed('succeeded'))('step.started', { ...dispatched('a'), worker: 'w1' });
    const t = newRunTrace(RUN);
    const ops = events.flatMap((e) => traceEvent(t, e));
    expect(ops.filter((o) => o.op === 'link')).toEqual([
      { op: 'link', key: 'run', context: expect.objectContaining({ sampled: true }) },
    ]);
    expect(build(ops).get('run')?.attributes).toMatchObject({
      'lily.parent_run_id': '01JPARENT00000000000000000',
    });
    expect(events.flatMap((e) => traceEvent(t, e))).toEqual([]);
  });

  it('is deterministic: the same events fold to the same operations', () => {
    const { events, add } = log();
    add('run.requested', requested)('run.started', started)('step.dispatched', dispatched('a'))(
      'step.succeeded',
      succeeded('a'),
    )('run.completed', completed('succeeded'));
    expect(fold(events).ops).toEqual(fold(events).ops);
  });
});
