import { describe, expect, it } from 'vitest';
import type { ExecItem } from '../../../../src/actors/messages.js';
import {
  failureFact,
  plannedFact,
  startedFacts,
  succeededFact,
} from '../../../../src/actors/worker/dispatch-facts.js';
import { dispatchIdOf, toRequest } from '../../../../src/actors/worker/dispatch-request.js';
import { RetryableStepError, StepError, TerminalStepError } from '../../../../src/contracts/executor.js';
import { parseRunId } from '../../../../src/contracts/ids.js';

const RUN = parseRunId('01JAAAAAAAAAAAAAAAAAAAAAAA');
const stamp = { at: 1_700_000_000_000, producer: 'worker/w1' };

const step = (extra: Partial<Extract<ExecItem, { kind: 'step' }>['data']> = {}): ExecItem => ({
  kind: 'step',
  runId: RUN,
  jobId: 'job',
  data: {
    stepId: 'a',
    attempt: 2,
    dispatchId: `${RUN}/a/2`,
    executor: 'command',
    input: { x: 1 },
    idempotent: true,
    dryRun: false,
    timeoutMs: 5_000,
    with: { argv: ['true'] },
    ...extra,
  } as Extract<ExecItem, { kind: 'step' }>['data'],
});

const gate = (input: unknown = { with: { argv: ['lint'] }, output: { ok: 1 }, required: false }): ExecItem =>
  ({
    kind: 'gate',
    runId: RUN,
    jobId: 'job',
    data: {
      stepId: 'a',
      attempt: 1,
      dispatchId: `${RUN}/a/1/lint`,
      gateId: 'lint',
      executor: 'command',
      input,
    },
  }) as ExecItem;

const partition: ExecItem = {
  kind: 'partition',
  runId: RUN,
  jobId: 'job',
  data: { stepId: 'p', attempt: 1, partitioner: 'list', with: { items: ['x'] }, input: null },
};

describe('the request an executor sees', () => {
  it('given a step item, it carries the dispatch, configuration, input, dry-run flag and timeout', () => {
    expect(toRequest(step())).toEqual({
      runId: RUN,
      jobId: 'job',
      stepId: 'a',
      attempt: 2,
      dispatchId: `${RUN}/a/2`,
      with: { argv: ['true'] },
      input: { x: 1 },
      dryRun: false,
      timeoutMs: 5_000,
    });
  });

  it('given a gate item, its configuration and the checked output come from the gate input', () => {
    expect(toRequest(gate())).toMatchObject({ with: { argv: ['lint'] }, input: { ok: 1 }, dryRun: false });
    expect(toRequest(gate(null))).toMatchObject({ with: {}, input: null });
  });

  it('given a partition item, its dispatch id is derived from the step attempt', () => {
    expect(dispatchIdOf(partition)).toBe(`${RUN}/p/1:partition`);
    expect(toRequest(partition)).toMatchObject({
      dispatchId: `${RUN}/p/1:partition`,
      with: { items: ['x'] },
    });
  });
});

describe('the facts a worker replies', () => {
  it('given a step starts, step.started names the worker; gates and partitions have none', () => {
    expect(startedFacts(step({ shard: 's1' }), 'w1', stamp)).toEqual([
      {
        id: `${RUN}/a/2/started`,
        type: 'step.started',
        at: stamp.at,
        producer: 'worker/w1',
        data: { dispatchId: `${RUN}/a/2`, stepId: 'a', attempt: 2, shard: 's1', worker: 'w1' },
      },
    ]);
    expect(startedFacts(gate(), 'w1', stamp)).toEqual([]);
    expect(startedFacts(partition, 'w1', stamp)).toEqual([]);
  });

  it('given a result, a step succeeds with output, artifacts and duration; a gate passes', () => {
    const result = { output: { n: 1 }, artifacts: [] };
    expect(succeededFact(step() as never, result, 12, stamp)).toMatchObject({
      id: `${RUN}/a/2/succeeded`,
      type: 'step.succeeded',
      data: { dispatchId: `${RUN}/a/2`, output: { n: 1 }, artifacts: [], durationMs: 12 },
    });
    expect(succeededFact(gate() as never, result, 12, stamp)).toMatchObject({
      id: `${RUN}/a/1/lint/passed`,
      type: 'gate.passed',
      data: { gateId: 'lint', output: { n: 1 } },
    });
  });

  it('given shards, partition.planned lists them', () => {
    const shards = [{ key: 'x', input: 'x' }];
    expect(plannedFact(partition as never, shards, stamp)).toMatchObject({
      id: `${RUN}/p/1:partition/planned`,
      type: 'partition.planned',
      data: { stepId: 'p', attempt: 1, partitioner: 'list', shards },
    });
  });

  it('given a RetryableStepError with retryAfterMs, step.failed records it', () => {
    const e = new RetryableStepError('blueprint_execution_failed', 'rate limited', {}, { retryAfterMs: 250 });
    expect(failureFact(step(), e, 3, stamp)).toMatchObject({
      id: `${RUN}/a/2/failed`,
      type: 'step.failed',
      data: { retryable: true, retryAfterMs: 250, durationMs: 3, error: { message: 'rate limited' } },
    });
  });

  it('given a terminal error, step.failed is not retryable and has no retryAfterMs', () => {
    const fact = failureFact(step(), new TerminalStepError('job_policy_denied', 'no'), 0, stamp);
    expect(fact.data).toMatchObject({ retryable: false, error: { code: 'job_policy_denied' } });
    expect(fact.data).not.toHaveProperty('retryAfterMs');
  });

  it('given any other error, step.failed is retryable with the backoff', () => {
    const fact = failureFact(step(), new Error('ECONNRESET'), 1, stamp);
    expect(fact.data).toMatchObject({ retryable: true, error: { code: 'internal_error' } });
    expect(fact.data).not.toHaveProperty('retryAfterMs');
  });

  it('given a non-idempotent step killed mid-way, it is indeterminate; an idempotent one just failed', () => {
    const killed = new StepError(
      'blueprint_execution_failed',
      'SIGKILL',
      { killed: true },
      { retryable: true },
    );
    expect(failureFact(step({ idempotent: false }), killed, 1, stamp)).toMatchObject({
      id: `${RUN}/a/2/indeterminate`,
      type: 'step.indeterminate',
      data: { reason: 'killed mid-step: SIGKILL' },
    });
    expect(failureFact(step(), killed, 1, stamp).type).toBe('step.failed');
  });

  it('given a gate fails, gate.failed says whether it was required (default required)', () => {
    expect(failureFact(gate(), new Error('x'), 1, stamp)).toMatchObject({
      type: 'gate.failed',
      data: { gateId: 'lint', required: false },
    });
    expect(failureFact(gate({}), new Error('x'), 1, stamp).data).toMatchObject({ required: true });
  });

  it('given a partitioner fails, step.failed carries the derived dispatch id', () => {
    expect(failureFact(partition, new Error('x'), 1, stamp)).toMatchObject({
      id: `${RUN}/p/1:partition/failed`,
      type: 'step.failed',
      data: { stepId: 'p', attempt: 1, dispatchId: `${RUN}/p/1:partition`, retryable: true },
    });
  });
});
