/**
 * An executor that throws RetryableStepError with retryAfterMs gets its next attempt scheduled
 * after exactly that delay, through the whole composed engine (scheduler, run host, policy
 * gate, worker): the delay is in `step.failed`, `step.retry_scheduled` and `timer.scheduled`.
 * An executor failing without one keeps the plan's backoff. Assertions are on the log only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/index.js';
import type { Plan } from '../../../src/blueprints/plan.js';
import type { ExecutorFn } from '../../../src/contracts/executor.js';
import { RetryableStepError } from '../../../src/contracts/executor.js';
import type { StoredEvent } from '../../../src/contracts/index.js';
import { retryDelayMs } from '../../../src/machines/backoff.js';
import { startTestEngine, type TestEngine, waitCompleted } from '../../helpers/test-engine.js';

const RETRY_AFTER_MS = 300;

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
});

/** Fails its first attempt (as `fail` says), succeeds on the next. */
const failOnce =
  (fail: () => Error): ExecutorFn =>
  async ({ request }) => {
    if (request.attempt === 1) throw fail();
    return { output: { attempt: request.attempt }, artifacts: [] };
  };

const job = (id: string, executor: string) =>
  [
    `id: ${id}`,
    `title: ${id}`,
    'target: {kind: blueprint, id: pipeline.v1}',
    `bindings: {steps: [{id: a, executor: ${executor}, retries: 2, backoff_ms: 40}]}`,
  ].join('\n');

const setup = async () => {
  const catalog = createBuiltinCatalog();
  const register = (name: string, run: ExecutorFn) =>
    catalog.executors.set(name, { name, summary: name, sideEffects: 'none', owner: 'test', run });
  register(
    'rate_limited',
    failOnce(
      () =>
        new RetryableStepError(
          'blueprint_execution_failed',
          'rate limited',
          { status: 429 },
          {
            retryAfterMs: RETRY_AFTER_MS,
          },
        ),
    ),
  );
  register(
    'flaky',
    failOnce(() => new Error('ECONNRESET')),
  );
  const t = await startTestEngine({
    catalog,
    jobs: { limited: job('limited', 'rate_limited'), flaky: job('flaky', 'flaky') },
  });
  engines.push(t);
  return t;
};

const one = (events: StoredEvent[], type: string): StoredEvent => {
  const found = events.filter((e) => e.type === type);
  expect(found, type).toHaveLength(1);
  return found[0] as StoredEvent;
};

describe('retryAfterMs from an executor, through the composed engine', () => {
  it('schedules the next attempt after the delay the executor asked for, recorded in the log', async () => {
    const t = await setup();
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'limited', trigger: { kind: 'manual' } });
    const { done, events } = await waitCompleted(t.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    const failed = one(events, 'step.failed');
    expect(failed.data).toMatchObject({
      retryable: true,
      retryAfterMs: RETRY_AFTER_MS,
      error: { code: 'blueprint_execution_failed' },
    });
    expect(one(events, 'step.retry_scheduled').data).toMatchObject({
      stepId: 'a',
      nextAttempt: 2,
      delayMs: RETRY_AFTER_MS,
    });
    const timers = events
      .filter((e) => e.type === 'timer.scheduled')
      .map((e) => e.data as { purpose: string; fireAt: number });
    const retry = timers.filter((d) => d.purpose === 'retry');
    expect(retry.map((d) => d.fireAt - failed.at)).toEqual([RETRY_AFTER_MS]);
    expect(one(events, 'step.succeeded').data).toMatchObject({ attempt: 2, output: { attempt: 2 } });
  });

  it('without retryAfterMs the retry waits the plan backoff', async () => {
    const t = await setup();
    const { runId } = await t.engine.scheduler.requestRun({ jobId: 'flaky', trigger: { kind: 'manual' } });
    const { done, events } = await waitCompleted(t.store, runId);
    expect(done.data).toMatchObject({ status: 'succeeded' });
    const failed = one(events, 'step.failed');
    expect(failed.data).not.toHaveProperty('retryAfterMs');
    const plan = (one(events, 'run.started').data as { plan: Plan }).plan;
    const backoff = plan.steps[0]?.retry.backoff;
    if (!backoff) throw new Error('the plan has no backoff');
    const expected = retryDelayMs(backoff, 1, (failed.data as { dispatchId: string }).dispatchId);
    expect(expected).not.toBe(RETRY_AFTER_MS);
    expect(one(events, 'step.retry_scheduled').data).toMatchObject({ delayMs: expected });
  });
});
