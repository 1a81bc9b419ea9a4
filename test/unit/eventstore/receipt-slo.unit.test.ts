import { describe, expect, it } from 'vitest';
import { validateEventData } from '../../../src/contracts/events/catalog.js';
import type { NewEvent, StoredEvent } from '../../../src/contracts/events/envelope.js';
import { projectReceipt } from '../../../src/eventstore/projections/receipt.js';
import { renderSummary } from '../../../src/eventstore/projections/summary.js';

const RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W4';
const PROOF = '01HZX3K7Q9V5T2M8N4P6R0S1W2';
const T0 = Date.UTC(2025, 4, 6);

/** A run of three steps: `fast` within its SLO, `slow` over it, `stuck` timed out; `tail` inherits the run timeout. */
const events = (): StoredEvent[] => {
  const d = (stepId: string, shard?: string) => ({
    stepId,
    attempt: 1,
    dispatchId: `${RUN}/${stepId}${shard ? `/${shard}` : ''}/1`,
    ...(shard ? { shard } : {}),
  });
  const dispatched = (stepId: string, shard?: string) => ({
    ...d(stepId, shard),
    executor: 'echo',
    input: {},
    idempotent: true,
    dryRun: false,
  });
  const list: [string, unknown][] = [
    [
      'run.started',
      {
        runId: RUN,
        jobId: 'slo',
        blueprint: { id: 'b', version: '1' },
        bindings: {},
        plan: {
          timeoutMs: 500,
          steps: [
            { id: 'fast', timeoutMs: 100 },
            { id: 'slow', timeoutMs: 100 },
            { id: 'stuck', timeoutMs: 50 },
            { id: 'tail' },
          ],
        },
        planHash: 'f'.repeat(64),
        input: {},
        inputHash: 'e'.repeat(64),
        dryRun: false,
        kernelVersion: 't',
        env: {},
        principal: 'operator',
      },
    ],
    [
      'policy.decided',
      { stepId: 'fast', attempt: 1, decision: 'allow', reasons: [], grant: 'g', dryRunProof: PROOF },
    ],
    ['step.dispatched', dispatched('fast')],
    ['step.succeeded', { ...d('fast'), output: {}, durationMs: 40 }],
    ['step.dispatched', dispatched('slow', 'a')],
    ['step.succeeded', { ...d('slow', 'a'), output: {}, durationMs: 60 }],
    ['step.dispatched', dispatched('slow', 'b')],
    ['step.succeeded', { ...d('slow', 'b'), output: {}, durationMs: 140 }],
    ['step.dispatched', dispatched('stuck')],
    ['step.timed_out', { ...d('stuck'), timeoutMs: 50 }],
    ['step.dispatched', dispatched('tail')],
    ['step.succeeded', { ...d('tail'), output: {}, durationMs: 499 }],
  ];
  return list.map(([type, data], i) => {
    const e: NewEvent = {
      id: `e${i}`,
      type: type as NewEvent['type'],
      at: T0 + i,
      data,
      meta: { producer: 't' },
    };
    return { ...e, data: validateEventData(e.type, e.data), stream: `run/${RUN}`, seq: i + 1, pos: i + 1 };
  });
};

describe('receipt: step SLOs and dry-run proofs', () => {
  const receipt = projectReceipt(events());
  const step = (id: string) => receipt.steps.find((s) => s.stepId === id);

  it('takes each step timeout from the pinned plan (the run timeout when the step sets none)', () => {
    expect(receipt.slos).toEqual({ fast: 100, slow: 100, stuck: 50, tail: 500 });
    expect(step('tail')).toMatchObject({ timeoutMs: 500, sloBreached: false });
  });

  it('flags a step when one attempt ran over its timeout or timed out, not when the sum does', () => {
    expect(step('fast')).toMatchObject({ timeoutMs: 100, sloBreached: false });
    // 60 + 140 ms: one shard over 100 ms.
    expect(step('slow')).toMatchObject({ durationMs: 200, sloBreached: true });
    expect(step('stuck')).toMatchObject({ status: 'timed_out', sloBreached: true });
  });

  it('records the dry run a policy decision relied on, in the receipt and the summary', () => {
    expect(receipt.policy[0]?.dryRunProof).toBe(PROOF);
    const md = renderSummary(receipt);
    expect(md).toContain(`- dry run ${PROOF} proved fast (required dry run)`);
    expect(md).toMatch(/\| slow \| succeeded \| 2 \| 200 ms \| \*\*breached\*\* \(100 ms\) \|/);
    expect(md).toMatch(/\| fast \| succeeded \| 1 \| 40 ms \| 100 ms \|/);
  });
});
