import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../../src/machines/backoff.js';
import { dispatchId, ev, given, plan, RUN, T0 } from './given.js';

const retrying = plan([
  {
    id: 'a',
    executor: 'x',
    retry: { maxAttempts: 3, backoff: { initialMs: 100, factor: 2, maxMs: 150, jitter: 0 } },
    timeoutMs: 500,
  },
]);

describe('retries, backoff and timeouts', () => {
  it('given a dispatch with timeoutMs, a timeout timer is scheduled from the event time', () => {
    given(retrying)
      .when(ev.allow('a'))
      .thenMatches([
        { type: 'step.dispatch', data: { timeoutMs: 500 } },
        {
          type: 'timer.schedule',
          data: {
            timerId: `${dispatchId('a')}/timeout`,
            fireAt: T0 + 500,
            purpose: 'step_timeout',
            stepId: 'a',
            attempt: 1,
          },
        },
      ]);
  });

  it('given a retryable failure, the timeout is cancelled and a retry is scheduled with exponential backoff', () => {
    given(retrying, [ev.allow('a')])
      .when(ev.fail('a', true, 1, undefined, T0 + 10))
      .thenMatches([
        { type: 'timer.cancel', data: { timerId: `${dispatchId('a')}/timeout` } },
        { type: 'step.retry', data: { stepId: 'a', attempt: 1, nextAttempt: 2, delayMs: 100 } },
        {
          type: 'timer.schedule',
          data: { timerId: `${dispatchId('a')}/retry`, fireAt: T0 + 110, purpose: 'retry' },
        },
      ])
      .thenStatus({ a: 'retry_wait' })
      .and(ev.fired(`${dispatchId('a')}/retry`, T0 + 110))
      .thenMatches([
        { type: 'step.dispatch', data: { attempt: 2, dispatchId: `${RUN}/a/2` } },
        { type: 'timer.schedule' },
      ])
      .and(ev.fail('a', true, 2))
      .thenMatches([
        { type: 'timer.cancel' },
        { type: 'step.retry', data: { delayMs: 150 } },
        { type: 'timer.schedule' },
      ]);
  });

  it('given the last attempt fails, the step fails and so does the run (no route)', () => {
    const w = given(retrying, [
      ev.allow('a'),
      ev.fail('a'),
      ev.fired(`${dispatchId('a')}/retry`),
      ev.fail('a', true, 2),
      ev.fired(`${RUN}/a/2/retry`),
    ])
      .when(ev.fail('a', true, 3))
      .then(['timer.cancel', 'run.complete'])
      .thenStatus({}, 'failed');
    expect(w.state.outcome?.error).toMatchObject({
      code: 'job_execution_failed',
      data: { stepId: 'a', outcome: 'failed' },
    });
  });

  it('given a non-retryable failure, no retry is scheduled', () => {
    given(retrying, [ev.allow('a')])
      .when(ev.fail('a', false))
      .then(['timer.cancel', 'run.complete']);
  });

  it('given the timeout fires, the step times out and is retried (idempotent); a late answer is ignored', () => {
    given(retrying, [ev.allow('a')])
      .when(ev.fired(`${dispatchId('a')}/timeout`, T0 + 500))
      .thenMatches([
        { type: 'step.time_out', data: { dispatchId: dispatchId('a'), timeoutMs: 500 } },
        { type: 'step.retry' },
        { type: 'timer.schedule', data: { purpose: 'retry' } },
      ])
      .and(ev.ok('a'))
      .then([]);
  });

  it('given a non-idempotent step times out, it is not retried: it becomes indeterminate', () => {
    const p = plan([
      {
        id: 'a',
        executor: 'x',
        idempotent: false,
        timeoutMs: 50,
        retry: { maxAttempts: 3 },
        routes: [{ on: 'failed', to: 'b' }],
      },
      { id: 'b', executor: 'x', start: 'route' },
    ]);
    given(p, [ev.allow('a')])
      .when(ev.fired(`${dispatchId('a')}/timeout`))
      .then(['step.time_out'])
      .thenStatus({ a: 'indeterminate', b: 'waiting' });
  });

  it('given a timed-out non-idempotent step, an operator answer for its dispatch settles it', () => {
    const p = plan([
      { id: 'a', executor: 'x', idempotent: false, timeoutMs: 50, routes: [{ on: 'failed', to: 'b' }] },
      { id: 'b', executor: 'x', start: 'route' },
    ]);
    given(p, [ev.allow('a'), ev.fired(`${dispatchId('a')}/timeout`)])
      .when(ev.fail('a', false))
      .then(['policy.check'])
      .thenStatus({ a: 'failed', b: 'policy_check' });
  });

  it('given a run timeout, the run fails when its timer fires and pending timers are cancelled', () => {
    const p = plan([{ id: 'a', executor: 'x', timeoutMs: 500 }], { timeoutMs: 100 });
    given(p, [ev.allow('a')])
      .when(ev.fired(`${RUN}/run-timeout`, T0 + 100))
      .thenMatches([
        { type: 'timer.cancel', data: { timerId: `${dispatchId('a')}/timeout` } },
        { type: 'run.complete', data: { status: 'failed', error: { data: { reason: 'run_timed_out' } } } },
      ])
      .thenStatus({ a: 'cancelled' }, 'failed');
  });

  const failAfter = (retryAfterMs: number, retryable = true, attempt = 1, shard?: string, at = T0 + 10) => {
    const e = ev.fail('a', retryable, attempt, shard, at);
    return { ...e, data: { ...(e.data as object), retryAfterMs } } as typeof e;
  };

  it('given a retryable failure with retryAfterMs, the retry waits that long instead of the backoff', () => {
    given(retrying, [ev.allow('a')])
      .when(failAfter(2_500))
      .thenMatches([
        { type: 'timer.cancel' },
        { type: 'step.retry', data: { stepId: 'a', nextAttempt: 2, delayMs: 2_500 } },
        {
          type: 'timer.schedule',
          data: {
            timerId: `${dispatchId('a')}/retry`,
            fireAt: T0 + 10 + 2_500,
            purpose: 'retry',
            attempt: 2,
          },
        },
      ])
      .and(ev.fired(`${dispatchId('a')}/retry`, T0 + 2_510))
      .and(ev.fail('a', true, 2, undefined, T0 + 3_000))
      // Without retryAfterMs the plan's backoff applies again (second try: 100 * 2, capped at 150).
      .thenMatches([
        { type: 'timer.cancel' },
        { type: 'step.retry', data: { delayMs: 150 } },
        { type: 'timer.schedule', data: { fireAt: T0 + 3_150 } },
      ]);
  });

  it('given retryAfterMs of 0, the retry is scheduled at the failure time', () => {
    given(retrying, [ev.allow('a')])
      .when(failAfter(0))
      .thenMatches([
        { type: 'timer.cancel' },
        { type: 'step.retry', data: { delayMs: 0 } },
        { type: 'timer.schedule', data: { fireAt: T0 + 10 } },
      ]);
  });

  it('given retryAfterMs on the last attempt, no retry is scheduled: attempts still bound retries', () => {
    given(retrying, [
      ev.allow('a'),
      failAfter(5),
      ev.fired(`${dispatchId('a')}/retry`),
      ev.fail('a', true, 2),
      ev.fired(`${RUN}/a/2/retry`),
    ])
      .when(failAfter(1_000, true, 3))
      .then(['timer.cancel', 'run.complete']);
  });

  it('given a terminal failure with retryAfterMs, the step fails without a retry', () => {
    given(retrying, [ev.allow('a')])
      .when(failAfter(1_000, false))
      .then(['timer.cancel', 'run.complete']);
  });

  it('given a shard fails with retryAfterMs, that shard is retried after it', () => {
    const p = plan([
      { id: 'a', executor: 'x', retry: { maxAttempts: 2 }, partition: { partitioner: 'f', concurrency: 2 } },
    ]);
    given(p, [ev.allow('a'), ev.planned('a', ['x', 'y'])])
      .when(failAfter(700, true, 1, 'x'))
      .thenMatches([
        { type: 'step.retry', data: { shard: 'x', delayMs: 700 } },
        { type: 'timer.schedule', data: { timerId: `${dispatchId('a', 1, 'x')}/retry`, fireAt: T0 + 710 } },
      ]);
  });

  it('backoff is capped and its jitter is a deterministic function of the dispatch id', () => {
    const b = { initialMs: 100, factor: 3, maxMs: 1000, jitter: 0.5 };
    expect(retryDelayMs({ ...b, jitter: 0 }, 5, 'x')).toBe(1000);
    const one = retryDelayMs(b, 2, 'R/a/2');
    expect(one).toBe(retryDelayMs(b, 2, 'R/a/2'));
    expect(one).toBeGreaterThanOrEqual(150);
    expect(one).toBeLessThanOrEqual(300);
    expect(
      new Set(['1', '2', '3', '4', '5'].map((s) => retryDelayMs(b, 2, `R/a/${s}`))).size,
    ).toBeGreaterThan(1);
  });
});
