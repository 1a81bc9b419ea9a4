import { describe, expect, it } from 'vitest';
import type { Arrival } from '../../../../src/actors/engine/arrival.js';
import type { Decision } from '../../../../src/actors/engine/decide-batch.js';
import { earlyDispatches, type ExecutorEffects } from '../../../../src/actors/engine/early-dispatches.js';
import type { ClaimedAnswer } from '../../../../src/actors/trust/reply-proof.js';
import { planSchema } from '../../../../src/blueprints/plan.js';
import { indexPlan } from '../../../../src/machines/program-index.js';
import type { Command, RunProgram } from '../../../../src/machines/index.js';

const plan = planSchema.parse({
  blueprint: { id: 'pipeline.v1', version: '1.0.0' },
  steps: [
    { id: 'pure', executor: 'echo' },
    { id: 'declared', executor: 'echo', sideEffects: 'write' },
    { id: 'writes', executor: 'note' },
    { id: 'unknown', executor: 'stranger' },
    { id: 'reads', executor: 'reader' },
  ],
});
const program = { index: indexPlan(plan) } as unknown as RunProgram;
const executors: ExecutorEffects = new Map([
  ['echo', { sideEffects: 'none' }],
  ['note', { sideEffects: 'write' }],
  ['reader', { sideEffects: 'read' }],
]);

const dispatch = (stepId: string): Command => {
  const step = plan.steps.find((s) => s.id === stepId);
  return {
    type: 'step.dispatch',
    data: {
      stepId,
      attempt: 1,
      dispatchId: `d-${stepId}`,
      executor: step?.executor ?? 'echo',
      input: {},
      idempotent: true,
      dryRun: false,
    },
  };
};
const timer: Command = {
  type: 'timer.schedule',
  data: { timerId: 't1', purpose: 'run_timeout', fireAt: 1 },
} as unknown as Command;
const decision = (commands: Command[]): Pick<Decision, 'commands' | 'next'> => ({
  commands,
  next: { program },
});
const fact = { id: 'f', type: 'step.succeeded', data: {} } as unknown as Arrival['fact'];
const fromBus: Arrival[] = [{ fact, from: 'bus', answers: {} as ClaimedAnswer }];
const fromEngine: Arrival[] = [{ fact, from: 'engine' }];
const ids = (commands: Command[]) => commands.map((c) => (c.data as { stepId?: string }).stepId ?? c.type);

describe('earlyDispatches: what may leave before the append recording it is durable', () => {
  it('a launch: only dispatches of steps that, with their executor, change nothing', () => {
    const all = ['pure', 'declared', 'writes', 'unknown', 'reads'].map(dispatch);
    expect(ids(earlyDispatches(true, fromEngine, decision([...all, timer]), executors))).toEqual(['pure']);
  });

  it('a launch without the executors known: nothing', () => {
    expect(earlyDispatches(true, fromEngine, decision([dispatch('pure')]), undefined)).toEqual([]);
  });

  it("workers' answers: every dispatch they cause, whatever its side effects, and nothing else", () => {
    const commands = [dispatch('writes'), timer, dispatch('unknown')];
    expect(ids(earlyDispatches(false, fromBus, decision(commands), executors))).toEqual([
      'writes',
      'unknown',
    ]);
  });

  it("the engine's own facts, alone or mixed with answers: nothing", () => {
    const commands = [dispatch('pure')];
    expect(earlyDispatches(false, fromEngine, decision(commands), executors)).toEqual([]);
    expect(earlyDispatches(false, [...fromBus, ...fromEngine], decision(commands), executors)).toEqual([]);
  });
});
