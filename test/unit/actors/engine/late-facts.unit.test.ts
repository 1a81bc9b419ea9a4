import { describe, expect, it } from 'vitest';
import { decideBatch, startDecision } from '../../../../src/actors/engine/decide-batch.js';
import {
  type CancelledDispatches,
  decideLateFacts,
  openCancels,
  trackCancels,
} from '../../../../src/actors/engine/late-facts.js';
import type { InboundEvent } from '../../../../src/actors/messages.js';
import type { RunId } from '../../../../src/contracts/ids.js';
import { createRunProgram } from '../../../../src/machines/program.js';
import { ev, plan, RUN, started } from '../../machines/given.js';

const runId = RUN as RunId;
const D = `${RUN}/a/1`;
const cancelledFact = (id = `${D}/cancelled`): InboundEvent => ({
  id,
  type: 'step.cancelled',
  at: 1,
  data: { stepId: 'a', attempt: 1, dispatchId: D, started: true, endedAt: 5, endReason: 'cancelled' },
  producer: 'worker/w1',
});
const cancelRequested = { type: 'step.cancel_requested', data: { dispatchId: D } };

describe('answers to cancelled dispatches', () => {
  it('given a cancel in the log, the first answer to it is appended (even after the run ended), nothing else', () => {
    const cancelled: CancelledDispatches = new Map();
    trackCancels(cancelled, cancelRequested);
    const other: InboundEvent = {
      ...cancelledFact(`${RUN}/b/1/cancelled`),
      data: { dispatchId: `${RUN}/b/1` },
    };
    const d = decideLateFacts({ runId, seen: new Set(), cancelled }, [cancelledFact(), other], 7);
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
    const again = { ...cancelledFact(`${D}/failed`), type: 'step.failed' };
    expect(decideLateFacts({ runId, seen: new Set(), cancelled }, [again], 8).toAppend).toEqual([]);
  });

  it('an answer whose data is invalid is refused, not appended', () => {
    const cancelled: CancelledDispatches = new Map([[D, 'open']]);
    const bad = { ...cancelledFact(), data: { dispatchId: D } };
    const d = decideLateFacts({ runId, seen: new Set(), cancelled }, [bad], 7);
    expect(d.toAppend).toEqual([]);
    expect(d.refused).toHaveLength(1);
  });

  it('in a running run (a fail-fast partition that routes on), the answer is kept although it changes nothing', () => {
    const p = plan([
      { id: 'a', executor: 'x' },
      { id: 'b', executor: 'x' },
    ]);
    const program = createRunProgram(p);
    const s = program.start(started(p)).state;
    const next = program.apply(s, ev.allow('a')).state;
    const slot = {
      runId,
      seen: new Set<string>(),
      cancelled: new Map([[D, 'open']]) as CancelledDispatches,
      state: next,
      program,
      started: started(p).data as never,
    };
    const ctx = { at: 9, producer: 'engine/run-host', programFor: () => program };
    const kept = decideBatch(slot, [cancelledFact()], startDecision(slot), ctx);
    expect(kept.toAppend.map((e) => e.id)).toEqual([`${D}/cancelled`]);
    const without = decideBatch(
      { ...slot, cancelled: new Map() },
      [cancelledFact()],
      startDecision(slot),
      ctx,
    );
    expect(without.ignored).toHaveLength(1);
  });
});
