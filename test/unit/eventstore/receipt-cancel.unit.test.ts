import { describe, expect, it } from 'vitest';
import { validateEventData } from '../../../src/contracts/events/catalog.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { projectReceipt } from '../../../src/eventstore/projections/receipt.js';

const RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W4';
const T0 = Date.UTC(2025, 4, 6);

const log = (list: [string, Record<string, unknown>][]): StoredEvent[] =>
  list.map(([type, data], i) => {
    validateEventData(type, data);
    return {
      id: `e${i}`,
      stream: `run/${RUN}`,
      seq: i + 1,
      pos: i + 1,
      type,
      at: T0 + i * 100,
      data,
      meta: { producer: 't' },
    } as StoredEvent;
  });

const ref = (stepId: string) => ({ stepId, attempt: 1, dispatchId: `${RUN}/${stepId}/1` });
const dispatched = (stepId: string, idempotent = true) => ({
  ...ref(stepId),
  executor: 'command',
  input: {},
  idempotent,
  dryRun: false,
});

describe('the receipt says when each process ended and why', () => {
  const receipt = projectReceipt(
    log([
      [
        'run.started',
        {
          runId: RUN,
          jobId: 'j',
          blueprint: { id: 'b', version: '1' },
          bindings: {},
          plan: { steps: [{ id: 'big' }, { id: 'pay' }, { id: 'fetch' }, { id: 'lost' }] },
          planHash: 'h',
          input: {},
          inputHash: 'i',
          dryRun: false,
          kernelVersion: '0',
          env: {},
          principal: 'p',
          machine: 2,
        },
      ],
      ['step.dispatched', dispatched('big')],
      [
        'step.succeeded',
        {
          ...ref('big'),
          output: { truncated: ['stdout'] },
          artifacts: [],
          durationMs: 5,
          truncated: ['stdout'],
          endedAt: T0 + 150,
          endReason: 'exited',
        },
      ],
      ['step.dispatched', dispatched('pay', false)],
      ['step.dispatched', dispatched('fetch')],
      ['step.dispatched', dispatched('lost')],
      ['step.started', { ...ref('pay'), worker: 'w1' }],
      ['run.cancel_requested', { by: 'ann' }],
      ['step.cancel_requested', { ...ref('pay'), executor: 'command', reason: 'cancelled' }],
      ['step.cancel_requested', { ...ref('fetch'), executor: 'command', reason: 'cancelled' }],
      ['step.cancel_requested', { ...ref('lost'), executor: 'command', reason: 'cancelled' }],
      [
        'run.completed',
        {
          status: 'cancelled',
          envelope: { status: 'cancelled', artifacts: [], references: {}, payload: {} },
        },
      ],
      [
        'step.indeterminate',
        {
          ...ref('pay'),
          reason: 'stopped mid-step (cancelled)',
          endedAt: T0 + 1_250,
          endReason: 'cancelled',
        },
      ],
      ['step.cancelled', { ...ref('fetch'), started: false, endedAt: T0 + 1_300, endReason: 'cancelled' }],
    ]),
  );
  const attempt = (stepId: string) => receipt.steps.find((s) => s.stepId === stepId)?.attempts[0];

  it('a step cut at the output cap is flagged truncated; one that exited says so', () => {
    expect(attempt('big')).toMatchObject({
      outcome: 'succeeded',
      truncated: ['stdout'],
      endReason: 'exited',
    });
  });

  it('a non-idempotent step stopped mid-way is indeterminate, ended by the cancel, at the worker’s time', () => {
    expect(attempt('pay')).toMatchObject({
      outcome: 'indeterminate',
      endReason: 'cancelled',
      endedAt: T0 + 1_250,
      cancelRequestedAt: T0 + 800,
    });
  });

  it('a dispatch stopped before it started is cancelled; one no worker answered stays cancelling', () => {
    expect(attempt('fetch')).toMatchObject({
      outcome: 'cancelled',
      endReason: 'cancelled',
      endedAt: T0 + 1_300,
    });
    expect(attempt('lost')).toMatchObject({ outcome: 'cancelling', endReason: 'cancelled', endedAt: null });
    expect(receipt.status).toBe('cancelled');
  });
});
