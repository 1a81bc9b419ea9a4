import { describe, expect, it } from 'vitest';
import { MACHINE_VERSION } from '../../../src/machines/machine-version.js';
import { dispatchId, ev, given, plan, RUN } from './given.js';

const v2 = { started: { machine: MACHINE_VERSION } };

const parallel = plan([
  { id: 'a', executor: 'x', timeoutMs: 100 },
  { id: 'b', executor: 'y', idempotent: false },
  { id: 'c', executor: 'x', needs: ['a', 'b'] },
]);

describe('a run that ends cancels the dispatches it still has in flight (machine version 2)', () => {
  it('given two steps running, a cancel request sends step.cancel to each, with the executor and the reason', () => {
    given(parallel, [ev.allow('a'), ev.allow('b')], v2)
      .when(ev.cancel())
      .then(['step.skip', 'step.cancel', 'step.cancel', 'timer.cancel', 'run.complete'])
      .thenMatches([
        { type: 'step.skip', data: { stepId: 'c' } },
        {
          type: 'step.cancel',
          data: { dispatchId: dispatchId('a'), stepId: 'a', attempt: 1, executor: 'x', reason: 'cancelled' },
        },
        {
          type: 'step.cancel',
          data: { dispatchId: dispatchId('b'), stepId: 'b', attempt: 1, executor: 'y', reason: 'cancelled' },
        },
        { type: 'timer.cancel' },
        { type: 'run.complete' },
      ])
      .thenStatus({ a: 'cancelled', b: 'cancelled' }, 'cancelled');
  });

  it('given a sibling running, a step that fails for good cancels it as sibling_failed', () => {
    given(parallel, [ev.allow('a'), ev.allow('b')], v2)
      .when(ev.fail('a', false))
      .thenMatches([
        { type: 'timer.cancel' },
        { type: 'step.skip', data: { stepId: 'c' } },
        { type: 'step.cancel', data: { dispatchId: dispatchId('b'), reason: 'sibling_failed' } },
        { type: 'run.complete', data: { status: 'failed' } },
      ]);
  });

  it('given a sibling running, a step the policy denies cancels it as sibling_failed', () => {
    const w = given(parallel, [ev.allow('a')], v2).when(ev.deny('b'));
    expect(w.commands.filter((c) => c.type === 'step.cancel')).toEqual([
      {
        type: 'step.cancel',
        data: {
          stepId: 'a',
          attempt: 1,
          dispatchId: dispatchId('a'),
          executor: 'x',
          reason: 'sibling_failed',
        },
      },
    ]);
  });

  it('given the run times out, what runs is cancelled as run_timeout', () => {
    const timed = plan([{ id: 'a', executor: 'x' }], { timeoutMs: 50 });
    given(timed, [ev.allow('a')], v2)
      .when(ev.fired(`${RUN}/run-timeout`))
      .thenMatches([
        { type: 'step.cancel', data: { dispatchId: dispatchId('a'), reason: 'run_timeout' } },
        { type: 'run.complete', data: { status: 'failed' } },
      ]);
  });

  it('given an indeterminate dispatch, cancelling the run still tells its worker to stop (it may be alive)', () => {
    const w = given(parallel, [ev.allow('b'), ev.indeterminate('b')], v2).when(ev.cancel());
    expect(w.commands.filter((c) => c.type === 'step.cancel').map((c) => c.data)).toEqual([
      expect.objectContaining({ stepId: 'b', dispatchId: dispatchId('b'), reason: 'cancelled' }),
    ]);
  });

  it('given a running gate, it is cancelled with its gate id and the gate executor', () => {
    const gated = plan([{ id: 'a', executor: 'x', gates: [{ id: 'lint', executor: 'g' }] }]);
    const w = given(gated, [ev.allow('a'), ev.ok('a')], v2).when(ev.cancel());
    expect(w.commands.filter((c) => c.type === 'step.cancel').map((c) => c.data)).toEqual([
      {
        stepId: 'a',
        attempt: 1,
        dispatchId: `${dispatchId('a')}:gate:lint`,
        gateId: 'lint',
        executor: 'g',
        reason: 'cancelled',
      },
    ]);
  });

  it('given a fail-fast partition, the first failed shard cancels the running ones as sibling_failed', () => {
    const p = plan([
      { id: 's', executor: 'x', partition: { partitioner: 'p', concurrency: 3, mode: 'fail_fast' } },
    ]);
    const w = given(p, [ev.allow('s'), ev.planned('s', ['k1', 'k2', 'k3'])], v2).when(
      ev.fail('s', false, 1, 'k1'),
    );
    const cancels = w.commands.filter((c) => c.type === 'step.cancel').map((c) => c.data);
    expect(cancels).toEqual([
      expect.objectContaining({
        dispatchId: dispatchId('s', 1, 'k2'),
        shard: 'k2',
        reason: 'sibling_failed',
      }),
      expect.objectContaining({
        dispatchId: dispatchId('s', 1, 'k3'),
        shard: 'k3',
        reason: 'sibling_failed',
      }),
    ]);
    // Each shard is cancelled once, by the partition; the run's end finds nothing left in flight.
    expect(new Set(cancels.map((c) => c.dispatchId)).size).toBe(cancels.length);
  });

  it('runs started before machine versions (no run.started.machine) keep their first semantics: no step.cancel', () => {
    given(parallel, [ev.allow('a'), ev.allow('b')])
      .when(ev.cancel())
      .then(['step.skip', 'timer.cancel', 'run.complete']);
  });

  it('a worker’s account of a cancelled dispatch (step.cancelled) changes nothing in the run', () => {
    const w = given(parallel, [ev.allow('a'), ev.allow('b')], v2).when(ev.cancel());
    const after = w.and({
      type: 'step.cancelled',
      at: 1,
      data: {
        stepId: 'a',
        attempt: 1,
        dispatchId: dispatchId('a'),
        started: true,
        endedAt: 1,
        endReason: 'cancelled',
      },
    });
    expect(after.commands).toEqual([]);
    expect(after.state).toBe(w.state);
  });
});
