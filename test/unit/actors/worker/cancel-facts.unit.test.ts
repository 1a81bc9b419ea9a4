import { describe, expect, it } from 'vitest';
import type { ExecItem } from '../../../../src/actors/messages.js';
import { DispatchCancellations } from '../../../../src/actors/worker/cancellations.js';
import {
  cancelledFact,
  failureEndReason,
  failureFact,
  succeededFact,
} from '../../../../src/actors/worker/dispatch-facts.js';
import { validateEventData } from '../../../../src/contracts/events/catalog.js';
import { StepError } from '../../../../src/contracts/executor.js';
import { parseRunId } from '../../../../src/contracts/ids.js';

const RUN = parseRunId('01JAAAAAAAAAAAAAAAAAAAAAAA');
const stamp = { at: 1_700_000_000_000, producer: 'worker/w1' };

const step = (idempotent: boolean): Extract<ExecItem, { kind: 'step' }> => ({
  kind: 'step',
  runId: RUN,
  jobId: 'job',
  data: {
    stepId: 'a',
    attempt: 1,
    dispatchId: `${RUN}/a/1`,
    executor: 'command',
    input: null,
    idempotent,
    dryRun: false,
    with: { argv: ['sleep', '30'] },
  },
});
const killed = new StepError(
  'blueprint_execution_failed',
  'sleep was killed after 40 ms',
  { killed: true },
  { retryable: true },
);

describe('how a worker reports a dispatch the run cancelled', () => {
  it('given it never started, step.cancelled with started: false and the run’s reason', () => {
    const f = cancelledFact(step(false), 'cancelled', stamp);
    expect(f).toMatchObject({
      id: `${RUN}/a/1/cancelled`,
      type: 'step.cancelled',
      data: { dispatchId: `${RUN}/a/1`, started: false, endedAt: stamp.at, endReason: 'cancelled' },
    });
    expect(() => validateEventData(f.type, f.data)).not.toThrow();
  });

  it('given an idempotent step stopped mid-way, step.cancelled with when and why it ended', () => {
    const f = cancelledFact(step(true), 'run_timeout', stamp, { error: killed, durationMs: 40 });
    expect(f).toMatchObject({
      type: 'step.cancelled',
      data: { started: true, durationMs: 40, endReason: 'run_timeout', error: { message: killed.message } },
    });
    expect(() => validateEventData(f.type, f.data)).not.toThrow();
  });

  it('given a non-idempotent step stopped mid-way, step.indeterminate (its effect may have happened)', () => {
    const f = cancelledFact(step(false), 'sibling_failed', stamp, { error: killed, durationMs: 40 });
    expect(f).toMatchObject({
      id: `${RUN}/a/1/indeterminate`,
      type: 'step.indeterminate',
      data: {
        endedAt: stamp.at,
        endReason: 'sibling_failed',
        reason: expect.stringContaining('sibling_failed'),
      },
    });
    expect(() => validateEventData(f.type, f.data)).not.toThrow();
  });

  it('every step fact says when and why the work ended; a cut output is flagged truncated', () => {
    const ok = succeededFact(step(true), { output: {}, artifacts: [], truncated: ['stdout'] }, 5, stamp);
    expect(ok.data).toMatchObject({ endedAt: stamp.at, endReason: 'exited', truncated: ['stdout'] });
    const timedOut = new StepError(
      'blueprint_execution_failed',
      'killed',
      { killed: true, timedOut: true },
      { retryable: true },
    );
    expect(failureEndReason(timedOut, false)).toBe('step_timeout');
    expect(failureEndReason(killed, true)).toBe('shutdown');
    expect(failureEndReason(new Error('x'), false)).toBe('exited');
    expect(failureFact(step(true), timedOut, 5, stamp, 'step_timeout').data).toMatchObject({
      endReason: 'step_timeout',
    });
  });
});

describe('DispatchCancellations', () => {
  it('a cancel aborts the running dispatch with its reason', () => {
    const c = new DispatchCancellations();
    const signal = c.begin('d1');
    expect(c.cancel('d1', 'cancelled')).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('cancelled');
  });

  it('a cancel that overtakes its dispatch is remembered: the dispatch starts aborted', () => {
    const c = new DispatchCancellations();
    expect(c.cancel('d2', 'run_timeout')).toBe(false);
    expect(c.reasonOf('d2')).toBe('run_timeout');
    expect(c.begin('d2').aborted).toBe(true);
  });

  it('remembers a bounded number of cancels for dispatches it never ran', () => {
    const c = new DispatchCancellations(2);
    c.cancel('x1', 'cancelled');
    c.cancel('x2', 'cancelled');
    c.cancel('x3', 'cancelled');
    expect([c.reasonOf('x1'), c.reasonOf('x2'), c.reasonOf('x3')]).toEqual([
      undefined,
      'cancelled',
      'cancelled',
    ]);
  });
});
