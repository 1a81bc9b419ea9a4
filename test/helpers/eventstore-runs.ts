import { validateEventData } from '../../src/contracts/events/catalog.js';
import type { NewEvent, StoredEvent } from '../../src/contracts/events/envelope.js';

export const SAMPLE_RUN_ID = '01HZX3K7Q9V5T2M8N4P6R0S1W3';
export const SAMPLE_JOB_ID = 'nightly.report';
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
const sha = (c: string) => c.repeat(64);
const report = {
  sha256: sha('a'),
  size: 12,
  mediaType: 'text/markdown',
  name: 'report.md',
  producer: 'executor/render',
  runId: SAMPLE_RUN_ID,
  stepId: 'render',
  inputs: [sha('b')],
  createdAt: T0 + 40,
};

/** A scripted run: fetch succeeds after a retry, render succeeds with an artifact, publish is denied. */
export const sampleRunEvents = (outcome: 'failed' | 'succeeded' = 'failed'): NewEvent[] => {
  const d = (stepId: string, attempt: number) => ({
    stepId,
    attempt,
    dispatchId: `${SAMPLE_RUN_ID}/${stepId}/${attempt}`,
  });
  const list: [number, string, unknown][] = [
    [
      0,
      'run.requested',
      {
        runId: SAMPLE_RUN_ID,
        jobId: SAMPLE_JOB_ID,
        trigger: { kind: 'cron', at: T0 },
        input: { day: '2024-01-02' },
        dryRun: false,
        principal: 'scheduler',
      },
    ],
    [
      1,
      'run.started',
      {
        runId: SAMPLE_RUN_ID,
        jobId: SAMPLE_JOB_ID,
        blueprint: { id: 'report', version: '1.2.0' },
        bindings: {},
        plan: { steps: ['fetch', 'render', 'publish'] },
        planHash: sha('f'),
        input: { day: '2024-01-02' },
        inputHash: sha('e'),
        dryRun: false,
        kernelVersion: '0.1.0',
        env: { node: 'v20' },
        principal: 'scheduler',
      },
    ],
    [2, 'policy.decided', { stepId: 'fetch', attempt: 1, decision: 'allow', reasons: [] }],
    [
      3,
      'step.dispatched',
      { ...d('fetch', 1), executor: 'http', input: {}, idempotent: true, dryRun: false },
    ],
    [4, 'step.started', { ...d('fetch', 1), worker: 'w1' }],
    [
      9,
      'step.failed',
      {
        ...d('fetch', 1),
        error: { code: 'http_503', message: 'unavailable', data: {} },
        retryable: true,
        durationMs: 5,
      },
    ],
    [10, 'step.retry_scheduled', { stepId: 'fetch', attempt: 1, nextAttempt: 2, delayMs: 10 }],
    [
      20,
      'step.dispatched',
      { ...d('fetch', 2), executor: 'http', input: {}, idempotent: true, dryRun: false },
    ],
    [21, 'step.started', { ...d('fetch', 2), worker: 'w1' }],
    [30, 'step.succeeded', { ...d('fetch', 2), output: { rows: 3 }, durationMs: 9 }],
    [
      31,
      'step.dispatched',
      { ...d('render', 1), executor: 'render', input: {}, idempotent: true, dryRun: false },
    ],
    [32, 'step.started', { ...d('render', 1), worker: 'w2' }],
    [33, 'gate.dispatched', { ...d('render', 1), gateId: 'lint', executor: 'cmd', input: {} }],
    [35, 'gate.passed', { ...d('render', 1), gateId: 'lint' }],
    [41, 'step.succeeded', { ...d('render', 1), output: { ok: true }, artifacts: [report], durationMs: 9 }],
    [42, 'artifact.recorded', { ref: report }],
    [
      43,
      'policy.decided',
      {
        stepId: 'publish',
        attempt: 1,
        decision: outcome === 'failed' ? 'deny' : 'allow',
        reasons: ['publish needs capability net:publish'],
        rule: 'caps',
      },
    ],
    [
      50,
      'run.completed',
      {
        status: outcome,
        envelope: { status: outcome, artifacts: [report], references: {}, payload: null },
        ...(outcome === 'failed'
          ? { error: { code: 'job_policy_denied', message: 'publish denied', data: { stepId: 'publish' } } }
          : {}),
      },
    ],
  ];
  return list.map(([dt, type, data], i) => ({
    id: `ev-${i + 1}`,
    type: type as NewEvent['type'],
    at: T0 + dt,
    data,
    meta: { producer: 'engine/run-host', correlationId: SAMPLE_RUN_ID },
  }));
};

/** The sample events as a store would hold them (validated data, seq and pos assigned). */
export const storedSample = (outcome: 'failed' | 'succeeded' = 'failed'): StoredEvent[] =>
  sampleRunEvents(outcome).map((e, i) => ({
    ...e,
    data: validateEventData(e.type, e.data),
    stream: `run/${SAMPLE_RUN_ID}`,
    seq: i + 1,
    pos: i + 1,
  }));
