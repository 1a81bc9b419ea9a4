/**
 * A step's deadline in the worker: a second past its `timeoutMs`, an executor that listens to its
 * signal is aborted, and a failure past the deadline ends the attempt as `step_timeout`. The
 * deadline's timer is made only when the executor reads its signal (`attemptContext`, attempt-context.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InboundEvent } from '../../../../src/actors/messages.js';
import { inboxSubject } from '../../../../src/actors/subjects.js';
import type { ExecutorFn } from '../../../../src/contracts/executor.js';
import { startTestWorker, TEST_NS, TEST_RUN } from '../../../helpers/test-worker.js';

const stops: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A worker serving `slow`; `dispatch` sends it one sealed step and returns its end fact. */
const setUp = (slow: ExecutorFn) => {
  const w = startTestWorker({ executors: { slow } });
  stops.push(() => w.stop());
  const ends = new Map<string, (fact: InboundEvent) => void>();
  w.engineBus.subscribe(inboxSubject(TEST_NS, TEST_RUN), (m) => {
    for (const fact of (m.json() as { events: InboundEvent[] }).events) {
      const data = fact.data as { dispatchId: string };
      if (fact.type !== 'step.started') ends.get(data.dispatchId)?.(fact);
    }
  });
  const dispatch = (timeoutMs: number): Promise<InboundEvent> =>
    new Promise<InboundEvent>((resolve) => {
      ends.set(w.dispatch('slow', { timeoutMs }), resolve);
    });
  return { dispatch };
};

const endReason = (fact: InboundEvent) => (fact.data as { endReason?: string }).endReason;

describe('a step past its deadline in the worker', () => {
  it('aborts an executor that listens to its signal, a second past timeoutMs, as step_timeout', async () => {
    const { dispatch } = setUp(
      (ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        }),
    );
    const t0 = performance.now();
    const end = await dispatch(100);
    const waited = performance.now() - t0;
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).toBe('step_timeout');
    expect(waited).toBeGreaterThanOrEqual(1_000);
  });

  it('ends a failure after the deadline as step_timeout when the executor never read its signal', async () => {
    const { dispatch } = setUp(async () => {
      await new Promise((r) => setTimeout(r, 1_200));
      throw new Error('gave up late');
    });
    const end = await dispatch(100);
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).toBe('step_timeout');
  });

  it('keeps a failure before the deadline an ordinary failure', async () => {
    const { dispatch } = setUp(async (ctx) => {
      void ctx.signal;
      throw new Error('failed at once');
    });
    const end = await dispatch(60_000);
    expect(end.type).toBe('step.failed');
    expect(endReason(end)).not.toBe('step_timeout');
  });

  it('makes no deadline timer for an executor that never reads its signal', async () => {
    const timeouts = vi.spyOn(AbortSignal, 'timeout');
    stops.push(() => timeouts.mockRestore());
    const { dispatch } = setUp(async () => ({ output: { ok: true }, artifacts: [] }));
    const end = await dispatch(60_000);
    expect(end.type).toBe('step.succeeded');
    expect(timeouts).not.toHaveBeenCalled();
  });

  it('lets a signal read late still abort at the same deadline', async () => {
    const { dispatch } = setUp(async (ctx) => {
      await new Promise((r) => setTimeout(r, 1_500));
      return new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      });
    });
    const t0 = performance.now();
    const end = await dispatch(1_000);
    const waited = performance.now() - t0;
    expect(endReason(end)).toBe('step_timeout');
    // The deadline is 2 s after the start, not 2 s after the signal was read (3.5 s).
    expect(waited).toBeGreaterThanOrEqual(2_000);
    expect(waited).toBeLessThan(3_000);
  });
});
