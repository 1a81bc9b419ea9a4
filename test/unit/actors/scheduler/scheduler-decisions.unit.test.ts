import { describe, expect, it } from 'vitest';
import type { PreparedRun } from '../../../../src/actors/scheduler/prepare-run.js';
import {
  admission,
  cancelAction,
  cancelRequestedFact,
  headMayStart,
  reconcileAction,
  runRequestOf,
  startedFact,
  timerFiredFact,
} from '../../../../src/actors/scheduler/scheduler-decisions.js';
import { parseRunId } from '../../../../src/contracts/ids.js';

const RUN = parseRunId('01JAAAAAAAAAAAAAAAAAAAAAAA');
const AT = 1_700_000_000_000;
const P = 'engine/scheduler';

describe('admission: a run starts now or queues behind its job', () => {
  const base = { force: false, active: 0, concurrency: 2, queued: 0 };
  it('given a free slot and nobody waiting, it launches', () => {
    expect(admission(base)).toBe('launch');
    expect(admission({ ...base, active: 1 })).toBe('launch');
  });
  it('given the job at its limit, it queues', () => {
    expect(admission({ ...base, active: 2 })).toBe('queue');
  });
  it('given runs already waiting, it queues behind them even with a free slot (FIFO)', () => {
    expect(admission({ ...base, active: 1, queued: 1 })).toBe('queue');
  });
  it('given force (cron overlap: allow), it launches past the limit', () => {
    expect(admission({ ...base, force: true, active: 5, queued: 3 })).toBe('launch');
  });
  it('the queue head starts only while the job has a free slot', () => {
    const prepared = { spec: { runtime: { concurrency: 2 } } } as unknown as PreparedRun;
    expect(headMayStart(1, prepared)).toBe(true);
    expect(headMayStart(2, prepared)).toBe(false);
  });
});

describe('cancel and reconcile follow where the run stands in the log', () => {
  it('cancel: requested -> close, started -> ask the run host, completed or missing -> nothing', () => {
    expect(cancelAction('requested')).toBe('close');
    expect(cancelAction('started')).toBe('request');
    expect(cancelAction('completed')).toBe('none');
    expect(cancelAction('missing')).toBe('none');
  });
  it('reconcile: completed -> finish, never started -> restart, otherwise nothing', () => {
    expect(reconcileAction('completed')).toBe('finish');
    expect(reconcileAction('requested')).toBe('restart');
    expect(reconcileAction('started')).toBe('none');
    expect(reconcileAction('missing')).toBe('none');
  });
});

describe('the facts the scheduler sends to run hosts', () => {
  it('run.started carries the prepared start under a deterministic id', () => {
    const started = { runId: RUN, jobId: 'j' };
    const prepared = { runId: RUN, started } as unknown as PreparedRun;
    expect(startedFact(prepared, AT, P)).toEqual({
      id: `${RUN}/started`,
      type: 'run.started',
      at: AT,
      data: started,
      producer: P,
    });
  });
  it('run.cancel_requested names who asked, and why when given', () => {
    expect(cancelRequestedFact(RUN, 'ann', 'wrong input', AT, P)).toMatchObject({
      id: `${RUN}/cancel_requested`,
      data: { by: 'ann', reason: 'wrong input' },
    });
    expect(cancelRequestedFact(RUN, 'ann', undefined, AT, P).data).toEqual({ by: 'ann' });
  });
  it('timer.fired is stamped with the firing time, one id per timer', () => {
    expect(timerFiredFact(`${RUN}/a/1/retry`, AT, P)).toEqual({
      id: `timer/${RUN}/a/1/retry/fired`,
      type: 'timer.fired',
      at: AT,
      data: { timerId: `${RUN}/a/1/retry`, firedAt: AT },
      producer: P,
    });
  });
});

describe('runRequestOf: a run.request message becomes a run request', () => {
  it('given a plain request, it is manual, with only the fields the message has', () => {
    expect(runRequestOf({ type: 'run.request', jobId: 'j' }, AT)).toEqual({
      jobId: 'j',
      trigger: { kind: 'manual', at: AT },
    });
  });
  it('given a rerun, the trigger is rerun and the parent is kept', () => {
    const rerun = { parentRunId: RUN, fromStep: 'b', gatesOnly: false };
    expect(
      runRequestOf(
        { type: 'run.request', jobId: 'j', input: { a: 1 }, dryRun: true, principal: 'ci', rerun },
        AT,
      ),
    ).toEqual({
      jobId: 'j',
      input: { a: 1 },
      dryRun: true,
      principal: 'ci',
      trigger: { kind: 'rerun', at: AT },
      rerun,
    });
  });
});
