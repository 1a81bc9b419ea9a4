import { describe, expect, it } from 'vitest';
import type { Arrival } from '../../../../src/actors/engine/arrival.js';
import { decideBatch, startDecision } from '../../../../src/actors/engine/decide-batch.js';
import {
  type CancelledDispatches,
  decideLateFacts,
  openCancels,
  trackCancels,
} from '../../../../src/actors/engine/late-facts.js';
import type { InboundEvent } from '../../../../src/actors/messages.js';
import { claimedAnswer } from '../../../../src/actors/trust/reply-proof.js';
import type { RunId } from '../../../../src/contracts/ids.js';
import { createRunProgram } from '../../../../src/machines/program.js';
import { ev, plan, RUN, started } from '../../machines/given.js';

const runId = RUN as RunId;
const D = `${RUN}/a/1`;
const cancelledFact = (over: Partial<InboundEvent> = {}): InboundEvent => ({
  id: `${D}/cancelled`,
  type: 'step.cancelled',
  at: 1,
  data: { stepId: 'a', attempt: 1, dispatchId: D, started: true, endedAt: 5, endReason: 'cancelled' },
  producer: 'worker/w1',
  ...over,
});
/** A worker's fact as the inbox hands it on once its proof checked out. */
const fromBus = (fact: InboundEvent): Arrival => {
  const answers = claimedAnswer(RUN, fact);
  if (!answers) throw new Error(`not a worker answer: ${fact.type}`);
  return { fact, from: 'bus', answers };
};
const cancelRequested = { type: 'step.cancel_requested', data: { dispatchId: D, stepId: 'a', attempt: 1 } };
const openCancel = (): CancelledDispatches => {
  const cancelled: CancelledDispatches = new Map();
  trackCancels(cancelled, cancelRequested);
  return cancelled;
};

describe('answers to cancelled dispatches', () => {
  it('given a cancel in the log, the first answer to it is appended (even after the run ended), nothing else', () => {
    const cancelled = openCancel();
    const other = cancelledFact({
      id: `${RUN}/b/1/cancelled`,
      data: {
        stepId: 'b',
        attempt: 1,
        dispatchId: `${RUN}/b/1`,
        started: false,
        endedAt: 5,
        endReason: 'cancelled',
      },
    });
    const d = decideLateFacts(
      { runId, seen: new Set(), cancelled },
      [fromBus(cancelledFact()), fromBus(other)],
      7,
    );
    expect(d.toAppend).toEqual([
      {
        id: `${D}/cancelled`,
        type: 'step.cancelled',
        at: 7,
        data: cancelledFact().data,
        meta: { causationId: `${D}/cancelled`, correlationId: runId, producer: 'worker/w1' },
      },
    ]);
    trackCancels(cancelled, cancelledFact());
    expect(openCancels(cancelled)).toEqual(new Set());
    // A second answer (a duplicate delivery, another worker) is not recorded.
    const again = cancelledFact({
      id: `${D}/failed`,
      type: 'step.failed',
      data: {
        stepId: 'a',
        attempt: 1,
        dispatchId: D,
        error: { code: 'x', message: 'x', data: {} },
        retryable: true,
      },
    });
    expect(decideLateFacts({ runId, seen: new Set(), cancelled }, [fromBus(again)], 8).toAppend).toEqual([]);
  });

  it('only a worker’s answer naming the dispatch as the cancel recorded it counts; invalid data is refused', () => {
    const cancelled = openCancel();
    const wrongAttempt = cancelledFact({ data: { ...(cancelledFact().data as object), attempt: 2 } });
    const engineMade: Arrival = { fact: cancelledFact(), from: 'engine' };
    expect(
      decideLateFacts({ runId, seen: new Set(), cancelled }, [fromBus(wrongAttempt), engineMade], 7).toAppend,
    ).toEqual([]);
    const bad = cancelledFact({ data: { stepId: 'a', attempt: 1, dispatchId: D } });
    const d = decideLateFacts({ runId, seen: new Set(), cancelled }, [fromBus(bad)], 7);
    expect(d.toAppend).toEqual([]);
    expect(d.refused).toHaveLength(1);
  });

  it('in a running run (a fail-fast partition that routes on), the answer is kept although the dispatch is closed', () => {
    const p = plan([
      { id: 'a', executor: 'x' },
      { id: 'b', executor: 'x' },
    ]);
    const program = createRunProgram(p);
    const s = program.start(started(p)).state;
    const next = program.apply(s, ev.allow('b')).state;
    const slot = {
      runId,
      seen: new Set<string>(),
      cancelled: openCancel(),
      state: next,
      program,
      started: started(p).data as never,
    };
    const ctx = { at: 9, producer: 'engine/run-host', programFor: () => program };
    const kept = decideBatch(slot, [fromBus(cancelledFact())], startDecision(slot), ctx);
    expect(kept.toAppend.map((e) => e.id)).toEqual([`${D}/cancelled`]);
    const without = decideBatch(
      { ...slot, cancelled: new Map() },
      [fromBus(cancelledFact())],
      startDecision(slot),
      ctx,
    );
    expect(without.ignored).toEqual([expect.objectContaining({ reason: 'dispatch_closed' })]);
  });
});
