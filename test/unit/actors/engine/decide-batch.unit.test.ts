import { describe, expect, it } from 'vitest';
import { type Arrival, fromEngine } from '../../../../src/actors/engine/arrival.js';
import {
  type Decision,
  decideBatch,
  indeterminateFacts,
  startDecision,
} from '../../../../src/actors/engine/decide-batch.js';
import { decideWithLocalPolicy, type LocalPolicy } from '../../../../src/actors/engine/local-policy.js';
import type { RunSlot } from '../../../../src/actors/engine/run-slot.js';
import type { InboundEvent } from '../../../../src/actors/messages.js';
import type { RunId } from '../../../../src/contracts/ids.js';
import { createRunProgram, type RunProgram } from '../../../../src/machines/program.js';
import type { RunEvent } from '../../../../src/machines/types.js';
import { ev, plan, RUN, started } from '../../machines/given.js';

const AT = 2_000_000;
const runId = RUN as RunId;
const twoSteps = plan([
  { id: 'a', executor: 'x' },
  { id: 'b', executor: 'x', needs: ['a'] },
]);

const programs = new Map<string, RunProgram>();
const ctx = {
  at: AT,
  producer: 'engine/run-host',
  programFor: (p: Parameters<typeof createRunProgram>[0], hash: string) => {
    const program = programs.get(hash) ?? createRunProgram(p);
    programs.set(hash, program);
    return program;
  },
};

let n = 0;
const fact = (e: RunEvent, id = `f${++n}`): InboundEvent => ({
  id,
  type: e.type,
  at: e.at,
  data: e.data,
  producer: 'test',
});

/** A worker's answer from the bus, as the inbox's screen passes it on (what it claims to answer). */
const busArrival = (fact: InboundEvent): Arrival => {
  const d = fact.data as {
    dispatchId: string;
    stepId: string;
    attempt: number;
    shard?: string;
    gateId?: string;
  };
  const kind = d.gateId !== undefined ? 'gate' : d.shard !== undefined ? 'shard' : 'step';
  return { fact, from: 'bus', answers: { ...d, kind } };
};

/** Given the facts already decided (and appended), when a batch arrives: the decision. */
const given = (history: InboundEvent[] = []) => {
  const slot: Pick<RunSlot, 'runId' | 'seen' | 'state' | 'program' | 'started'> = { runId, seen: new Set() };
  let d = startDecision(slot);
  if (history.length > 0) {
    d = decideBatch(slot, fromEngine(history), d, ctx);
    Object.assign(slot, d.next);
    for (const e of d.toAppend) slot.seen.add(e.id);
  }
  return {
    slot,
    when: (batch: InboundEvent[]): Decision => decideBatch(slot, fromEngine(batch), startDecision(slot), ctx),
    /** A batch of workers' answers from the bus (already screened: valid proofs). */
    fromBus: (batch: InboundEvent[]): Decision =>
      decideBatch(slot, batch.map(busArrival), startDecision(slot), ctx),
  };
};

const types = (d: Decision) => d.toAppend.map((e) => e.type);

describe('decideBatch: what a batch of facts makes a run append and publish', () => {
  it('given a new run, when run.started arrives, it is appended with the commands it caused', () => {
    const start = fact(started(twoSteps), 'R/started');
    const d = given().when([start]);
    expect(types(d)).toEqual(['run.started', 'policy.requested']);
    expect(d.commands.map((c) => c.type)).toEqual(['policy.check']);
    expect(d.toAppend[1]).toMatchObject({
      id: 'R/started>0.0',
      at: AT,
      meta: { causationId: 'R/started', correlationId: RUN, producer: 'engine/run-host' },
    });
    expect(d.toAppend[0]?.meta).toMatchObject({ producer: 'test' });
    expect(d.next.program?.planHash).toBe((started(twoSteps).data as { planHash: string }).planHash);
    expect(d.next.state?.status).toBe('running');
  });

  it('given a started run, a second run.started is skipped, neither appended nor refused', () => {
    const d = given([fact(started(twoSteps))]).when([fact(started(twoSteps))]);
    expect(d.toAppend).toEqual([]);
    expect(d.refused).toEqual([]);
  });

  it('given a started run, facts already in the log or repeated in the batch are appended once', () => {
    const allow = fact(ev.allow('a'), 'allow-a');
    const w = given([fact(started(twoSteps)), allow]);
    expect(w.when([allow]).toAppend).toEqual([]);
    const ok = fact(ev.ok('a'), 'ok-a');
    expect(types(w.when([ok, ok]))).toEqual(['step.succeeded', 'policy.requested']);
  });

  it('refuses a type that is not a run fact, invalid data, and any fact before run.started', () => {
    const w = given([fact(started(twoSteps))]);
    const bad = [
      { ...fact(ev.allow('a')), type: 'run.completed' },
      { ...fact(ev.allow('a')), data: { stepId: 'a' } },
    ];
    const d = w.when(bad);
    expect(d.toAppend).toEqual([]);
    expect(d.refused.map((r) => r.reason)).toEqual(['not_a_run_fact', 'schema_invalid']);
    expect(String(d.refused[1]?.error)).toContain('invalid data for policy.decided');
    const early = given().when([fact(ev.allow('a'))]);
    expect(early.refused.map((r) => r.reason)).toEqual(['run_not_started']);
  });

  it("takes a worker's answer from the bus only for a dispatch the log recorded, as it recorded it", () => {
    const w = given([fact(started(twoSteps)), fact(ev.allow('a'))]);
    const ok = (data: Record<string, unknown>) =>
      fact({ type: 'step.succeeded', at: 0, data: { output: 1, artifacts: [], durationMs: 1, ...data } });
    const recorded = { dispatchId: `${RUN}/a/1`, stepId: 'a', attempt: 1 };
    expect(types(w.fromBus([ok(recorded)]))).toEqual(['step.succeeded', 'policy.requested']);
    // Step b was never dispatched: an answer naming b under a's dispatch id is refused.
    expect(w.fromBus([ok({ ...recorded, stepId: 'b' })]).refused.map((r) => r.reason)).toEqual([
      'answer_mismatch',
    ]);
    expect(w.fromBus([ok({ ...recorded, attempt: 2 })]).refused.map((r) => r.reason)).toEqual([
      'answer_mismatch',
    ]);
    // A gate's answer for a step's dispatch: another kind of command.
    const gate = fact({ type: 'gate.passed', at: 0, data: { ...recorded, gateId: 'g' } });
    expect(w.fromBus([gate]).refused.map((r) => r.reason)).toEqual(['kind_mismatch']);
    // A dispatch the run does not wait on (never sent, or answered): stale, changes nothing.
    const other = w.fromBus([ok({ dispatchId: `${RUN}/a/9`, stepId: 'a', attempt: 9 })]);
    expect(other.toAppend).toEqual([]);
    expect(other.ignored.map((i) => i.reason)).toEqual(['dispatch_closed']);
    // Before run.started there is nothing to answer.
    expect(
      given()
        .fromBus([ok(recorded)])
        .refused.map((r) => r.reason),
    ).toEqual(['run_not_started']);
  });

  it('never takes an engine fact (run.started, a policy decision) from the bus', () => {
    const d = given().fromBus([fact(started(twoSteps))]);
    expect(d.toAppend).toEqual([]);
    expect(d.refused.map((r) => r.reason)).toEqual(['run_not_started']);
  });

  it('ignores a stale answer (it changes nothing) but keeps step.started, the acknowledgement', () => {
    const w = given([fact(started(twoSteps)), fact(ev.allow('a'))]);
    const stale = fact(ev.ok('a', {}, 7));
    const d = w.when([stale]);
    expect(d.toAppend).toEqual([]);
    expect(d.ignored).toEqual([{ inbound: stale, reason: 'no_change' }]);
    const ack = fact({
      type: 'step.started',
      at: 0,
      data: { dispatchId: `${RUN}/a/1`, stepId: 'a', attempt: 1, worker: 'w1' },
    });
    expect(types(w.when([ack]))).toEqual(['step.started']);
  });

  it('stops at a final state: facts after run.completed in the same batch are not decided', () => {
    const w = given([fact(started(twoSteps)), fact(ev.allow('a'))]);
    const d = w.when([fact(ev.cancel()), fact(ev.ok('a'))]);
    expect(d.next.state?.status).toBe('cancelled');
    expect(types(d)).not.toContain('step.succeeded');
  });

  it('indeterminate facts take their ids from the dispatch they answer', () => {
    const facts = indeterminateFacts(
      [{ type: 'step.indeterminate', data: { dispatchId: 'R/a/1', stepId: 'a', attempt: 1, reason: 'r' } }],
      AT,
      'engine/run-host',
    );
    expect(facts).toEqual([
      {
        id: 'R/a/1/indeterminate',
        type: 'step.indeterminate',
        at: AT,
        data: { dispatchId: 'R/a/1', stepId: 'a', attempt: 1, reason: 'r' },
        producer: 'engine/run-host',
      },
    ]);
  });
});

describe('decideWithLocalPolicy: the engine gate answers in the same batch', () => {
  const allowing = (answer: 'allow' | 'none' | 'throw'): LocalPolicy & { asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      async checkLocal(_runId, data) {
        asked.push(data.stepId);
        if (answer === 'throw') throw new Error('gate down');
        if (answer === 'none') return undefined;
        return fact(ev.allow(data.stepId, data.attempt), `${data.stepId}/${data.attempt}/policy`);
      },
    };
  };

  const decideStart = async (gate: LocalPolicy, failures: unknown[] = []) => {
    const w = given();
    const decide = (facts: InboundEvent[], acc: Decision) => decideBatch(w.slot, fromEngine(facts), acc, ctx);
    const first = decide([fact(started(twoSteps))], startDecision(w.slot));
    return decideWithLocalPolicy(runId, first, gate, decide, (e) => failures.push(e));
  };

  it('given the gate allows, check, decision and dispatch are one decision and the check is not published', async () => {
    const gate = allowing('allow');
    const d = await decideStart(gate);
    expect(types(d)).toEqual(['run.started', 'policy.requested', 'policy.decided', 'step.dispatched']);
    expect(d.commands.map((c) => c.type)).toEqual(['step.dispatch']);
    expect(gate.asked).toEqual(['a']);
  });

  it('given the gate knows no such run (it logs that), the check is dropped, not published', async () => {
    const d = await decideStart(allowing('none'));
    expect(types(d)).toEqual(['run.started', 'policy.requested']);
    expect(d.commands).toEqual([]);
  });

  it('given the gate fails, the failure is reported and the check stays to be published', async () => {
    const failures: unknown[] = [];
    const d = await decideStart(allowing('throw'), failures);
    expect(d.commands.map((c) => c.type)).toEqual(['policy.check']);
    expect(failures).toHaveLength(1);
  });
});
