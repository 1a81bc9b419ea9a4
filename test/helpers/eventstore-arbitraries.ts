import fc from 'fast-check';
import { validateEventData } from '../../src/contracts/events/catalog.js';
import type { StoredEvent } from '../../src/contracts/events/envelope.js';

export const RUN_ID = '01HZX3K7Q9V5T2M8N4P6R0S1W3';
const JOB_ID = 'nightly.report';
const stepId = fc.constantFrom('fetch', 'build', 'test', 'publish');
const attempt = fc.integer({ min: 1, max: 3 });
const shard = fc.option(fc.constantFrom('a', 'b'), { nil: undefined });
const sha = fc.constantFrom('a', 'b', 'c').map((c) => c.repeat(64));
const errorInfo = fc.record({
  code: fc.constantFrom('exec_failed', 'timeout', 'bad_output'),
  message: fc.string({ maxLength: 20 }),
  data: fc.dictionary(fc.constantFrom('exit', 'path'), fc.oneof(fc.integer(), fc.string({ maxLength: 5 }))),
});
const artifactRef = fc.record({
  sha256: sha,
  size: fc.nat(1000),
  mediaType: fc.constantFrom('application/json', 'text/plain'),
  name: fc.constantFrom('report.md', 'data.json', 'a|b'),
  producer: fc.constant('executor/x'),
  inputs: fc.array(sha, { maxLength: 2 }),
  createdAt: fc.nat(1000),
});
const dispatch = fc
  .record({ stepId, attempt, shard })
  .map((d) => ({ ...d, dispatchId: `${RUN_ID}/${d.stepId}/${d.attempt}${d.shard ? `/${d.shard}` : ''}` }));
const envelope = (status: 'succeeded' | 'failed' | 'cancelled') =>
  fc.record({
    status: fc.constant(status),
    artifacts: fc.array(artifactRef, { maxLength: 2 }),
    references: fc.constant({}),
    payload: fc.oneof(fc.constant(null), fc.record({ ok: fc.boolean() })),
  });

/** One arbitrary (valid) event of a run: type and data, any order. */
const runEvent: fc.Arbitrary<{ type: string; data: unknown }> = fc.oneof(
  fc.constant({
    type: 'run.requested',
    data: {
      runId: RUN_ID,
      jobId: JOB_ID,
      trigger: { kind: 'manual' },
      input: { n: 1 },
      dryRun: false,
      principal: 'ops',
    },
  }),
  fc
    .record({
      kernelVersion: fc.constantFrom('0.1.0', '0.2.0'),
      env: fc.dictionary(fc.constantFrom('NODE', 'OS'), fc.string({ maxLength: 4 })),
    })
    .map((x) => ({
      type: 'run.started',
      data: {
        runId: RUN_ID,
        jobId: JOB_ID,
        blueprint: { id: 'report', version: '1.0.0' },
        bindings: {},
        plan: { steps: [] },
        planHash: 'f'.repeat(64),
        input: { n: 1 },
        inputHash: 'e'.repeat(64),
        dryRun: false,
        principal: 'ops',
        ...x,
      },
    })),
  fc
    .record({
      stepId,
      attempt,
      decision: fc.constantFrom('allow', 'deny', 'approval_required'),
      reasons: fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
    })
    .map((data) => ({ type: 'policy.decided', data })),
  fc
    .record({
      stepId,
      attempt,
      approvalId: fc.constantFrom('ap1', 'ap2'),
      reason: fc.string({ maxLength: 8 }),
    })
    .map((data) => ({ type: 'approval.requested', data })),
  fc
    .record({ stepId, attempt, approvalId: fc.constantFrom('ap1', 'ap2'), by: fc.constant('alice') })
    .map((data) => ({ type: 'approval.granted', data })),
  fc
    .record({
      stepId,
      attempt,
      approvalId: fc.constantFrom('ap1', 'ap2'),
      by: fc.constant('bob'),
      reason: fc.constant('no'),
    })
    .map((data) => ({ type: 'approval.denied', data })),
  dispatch.map((d) => ({
    type: 'step.dispatched',
    data: { ...d, executor: 'exec', input: {}, idempotent: true, dryRun: false },
  })),
  dispatch.map((d) => ({ type: 'step.started', data: { ...d, worker: 'w1' } })),
  fc
    .tuple(dispatch, fc.array(artifactRef, { maxLength: 2 }), fc.nat(5000))
    .map(([d, artifacts, durationMs]) => ({
      type: 'step.succeeded',
      data: { ...d, output: { ok: true }, artifacts, durationMs },
    })),
  fc
    .tuple(dispatch, errorInfo, fc.boolean())
    .map(([d, error, retryable]) => ({ type: 'step.failed', data: { ...d, error, retryable } })),
  dispatch.map((d) => ({ type: 'step.timed_out', data: { ...d, timeoutMs: 100 } })),
  dispatch.map((d) => ({ type: 'step.indeterminate', data: { ...d, reason: 'lost' } })),
  fc
    .record({ stepId, attempt, nextAttempt: attempt, delayMs: fc.nat(100) })
    .map((data) => ({ type: 'step.retry_scheduled', data })),
  fc.record({ stepId, reason: fc.constant('route') }).map((data) => ({ type: 'step.skipped', data })),
  fc.record({ stepId, attempt }).map((d) => ({
    type: 'partition.planned',
    data: {
      ...d,
      partitioner: 'files',
      shards: [
        { key: 'a', input: 1 },
        { key: 'b', input: 2 },
      ],
    },
  })),
  dispatch.map((d) => ({
    type: 'gate.dispatched',
    data: { ...d, gateId: 'lint', executor: 'cmd', input: {} },
  })),
  dispatch.map((d) => ({ type: 'gate.passed', data: { ...d, gateId: 'lint' } })),
  fc.tuple(dispatch, errorInfo, fc.boolean()).map(([d, error, required]) => ({
    type: 'gate.failed',
    data: { ...d, gateId: 'lint', required, error },
  })),
  artifactRef.map((ref) => ({ type: 'artifact.recorded', data: { ref } })),
  fc.constant({ type: 'timer.fired', data: { timerId: 't1', firedAt: 5 } }),
  fc.constant({ type: 'run.cancel_requested', data: { by: 'ops', reason: 'enough' } }),
  fc.constantFrom('succeeded', 'failed', 'cancelled').chain((status) =>
    fc
      .tuple(envelope(status as 'succeeded'), fc.option(errorInfo, { nil: undefined }))
      .map(([env, error]) => ({
        type: 'run.completed',
        data: { status, envelope: env, ...(error ? { error } : {}) },
      })),
  ),
);

/** A run stream of valid events in any order, stored as the event store would store them. */
export const runEventsArb: fc.Arbitrary<StoredEvent[]> = fc
  .tuple(fc.array(runEvent, { maxLength: 40 }), fc.array(fc.nat(2000), { minLength: 40, maxLength: 40 }))
  .map(([list, gaps]) => {
    let at = 1_700_000_000_000;
    return list.map((e, i) => {
      at += gaps[i] ?? 1;
      return {
        id: `ev-${i + 1}`,
        type: e.type,
        at,
        data: validateEventData(e.type, e.data),
        meta: { producer: 'engine/run-host', correlationId: RUN_ID },
        stream: `run/${RUN_ID}`,
        seq: i + 1,
        pos: 100 + i,
      } as StoredEvent;
    });
  });
