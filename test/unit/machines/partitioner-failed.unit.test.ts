import { describe, expect, it } from 'vitest';
import { MACHINE_VERSION } from '../../../src/machines/machine-version.js';
import type { RunEvent } from '../../../src/machines/types.js';
import { ev, given, plan, RUN, T0 } from './given.js';

const v3 = { started: { machine: MACHINE_VERSION } };

/** The `step.failed` a worker sends when the partitioner itself fails (no shards planned). */
const partitionerFailed = (
  stepId: string,
  attempt = 1,
  dispatchId = `${RUN}/${stepId}/${attempt}:partition`,
): RunEvent => ({
  type: 'step.failed',
  at: T0,
  data: {
    stepId,
    attempt,
    dispatchId,
    error: { code: 'partitioner_failed', message: 'no files', data: {} },
    retryable: true,
  },
});

const fan = (routes: { on: 'failed'; to: string }[] = []) =>
  plan([
    {
      id: 'p',
      executor: 'x',
      retry: { maxAttempts: 3 },
      partition: { partitioner: 'files', concurrency: 2, mode: 'collect' },
      routes,
    },
    { id: 'cleanup', executor: 'x', start: 'route' },
  ]);

describe("a partitioner's failure (machine version 3)", () => {
  it('given a step waiting for its shards, the failure fails the step with the error and the run with it', () => {
    const w = given(fan(), [ev.allow('p')], v3)
      .when(partitionerFailed('p'))
      .thenStatus({ p: 'failed' }, 'failed');
    expect(w.commands.map((c) => c.type)).toContain('run.complete');
    expect(w.state.steps.p?.error).toMatchObject({ code: 'partitioner_failed' });
    expect(Object.keys(w.state.pending)).toEqual([]);
  });

  it('given a failed route, the run follows it (the partitioner is not retried)', () => {
    given(fan([{ on: 'failed', to: 'cleanup' }]), [ev.allow('p')], v3)
      .when(partitionerFailed('p'))
      .thenMatches([{ type: 'policy.check', data: { stepId: 'cleanup' } }])
      .thenStatus({ p: 'failed', cleanup: 'policy_check' }, 'running');
  });

  it('given an answer naming another attempt or another dispatch, nothing happens', () => {
    given(fan(), [ev.allow('p')], v3)
      .when(partitionerFailed('p', 2))
      .then([])
      .thenStatus({ p: 'partitioning' });
    given(fan(), [ev.allow('p')], v3)
      .when(partitionerFailed('p', 1, `${RUN}/p/1`))
      .then([])
      .thenStatus({ p: 'partitioning' });
  });

  it('given the shards were already planned, a late failure of the partitioner changes nothing', () => {
    given(fan(), [ev.allow('p'), ev.planned('p', ['a'])], v3)
      .when(partitionerFailed('p'))
      .then([])
      .thenStatus({ p: 'dispatched' });
  });

  it('given a run started under machine version 2, the failure is ignored as it was (its log still verifies)', () => {
    given(fan(), [ev.allow('p')], { started: { machine: 2 } })
      .when(partitionerFailed('p'))
      .then([])
      .thenStatus({ p: 'partitioning' }, 'running');
  });
});
