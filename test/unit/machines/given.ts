import { expect } from 'vitest';
import { type PlanInput, planSchema } from '../../../src/blueprints/plan.js';
import { hashJson } from '../../../src/contracts/index.js';
import { createRunProgram, type RunProgram } from '../../../src/machines/program.js';
import type { Command, RunEvent, RunState, SchemaLookup } from '../../../src/machines/types.js';

export const RUN = 'RUN1';
export const T0 = 1_000_000;

export const plan = (steps: PlanInput['steps'], extra: Partial<PlanInput> = {}) =>
  planSchema.parse({ blueprint: { id: 'test', version: '1' }, steps, ...extra });

export const started = (
  p: ReturnType<typeof plan>,
  extra: Record<string, unknown> = {},
  at = T0,
): RunEvent => ({
  type: 'run.started',
  at,
  data: {
    runId: RUN,
    jobId: 'job',
    blueprint: p.blueprint,
    bindings: {},
    plan: p,
    planHash: hashJson(p),
    input: { name: 'x' },
    inputHash: 'h',
    dryRun: false,
    kernelVersion: '0',
    env: {},
    principal: 'test',
    ...extra,
  },
});

const d = (step: string, attempt = 1, shard?: string) =>
  `${RUN}/${step}/${attempt}${shard ? `/${shard}` : ''}`;

/** Builders for inbound events, named by what happened. */
export const ev = {
  allow: (stepId: string, attempt = 1, at = T0): RunEvent => ({
    type: 'policy.decided',
    at,
    data: { stepId, attempt, decision: 'allow', reasons: [] },
  }),
  deny: (stepId: string, attempt = 1): RunEvent => ({
    type: 'policy.decided',
    at: T0,
    data: { stepId, attempt, decision: 'deny', reasons: ['no'] },
  }),
  needsApproval: (stepId: string, attempt = 1): RunEvent => ({
    type: 'policy.decided',
    at: T0,
    data: { stepId, attempt, decision: 'approval_required', reasons: ['human'] },
  }),
  granted: (stepId: string, attempt = 1): RunEvent => ({
    type: 'approval.granted',
    at: T0,
    data: { stepId, attempt, approvalId: `${RUN}/${stepId}/${attempt}/approval`, by: 'ann' },
  }),
  denied: (stepId: string, attempt = 1): RunEvent => ({
    type: 'approval.denied',
    at: T0,
    data: { stepId, attempt, approvalId: `${RUN}/${stepId}/${attempt}/approval`, by: 'ann', reason: 'nope' },
  }),
  ok: (stepId: string, output: unknown = {}, attempt = 1, shard?: string, at = T0): RunEvent => ({
    type: 'step.succeeded',
    at,
    data: {
      stepId,
      attempt,
      dispatchId: d(stepId, attempt, shard),
      output,
      artifacts: [],
      durationMs: 1,
      ...(shard ? { shard } : {}),
    },
  }),
  fail: (stepId: string, retryable = true, attempt = 1, shard?: string, at = T0): RunEvent => ({
    type: 'step.failed',
    at,
    data: {
      stepId,
      attempt,
      dispatchId: d(stepId, attempt, shard),
      error: { code: 'boom', message: 'boom', data: {} },
      retryable,
      ...(shard ? { shard } : {}),
    },
  }),
  fired: (timerId: string, at = T0): RunEvent => ({
    type: 'timer.fired',
    at,
    data: { timerId, firedAt: at },
  }),
  planned: (stepId: string, keys: string[], attempt = 1): RunEvent => ({
    type: 'partition.planned',
    at: T0,
    data: { stepId, attempt, partitioner: 'p', shards: keys.map((key) => ({ key, input: { key } })) },
  }),
  gatePassed: (stepId: string, gateId: string, attempt = 1): RunEvent => ({
    type: 'gate.passed',
    at: T0,
    data: { stepId, attempt, dispatchId: `${d(stepId, attempt)}:gate:${gateId}`, gateId },
  }),
  gateFailed: (stepId: string, gateId: string, required = true, attempt = 1): RunEvent => ({
    type: 'gate.failed',
    at: T0,
    data: {
      stepId,
      attempt,
      dispatchId: `${d(stepId, attempt)}:gate:${gateId}`,
      gateId,
      required,
      error: { code: 'gate', message: 'red', data: {} },
    },
  }),
  cancel: (): RunEvent => ({ type: 'run.cancel_requested', at: T0, data: { by: 'ann' } }),
  indeterminate: (stepId: string, attempt = 1): RunEvent => ({
    type: 'step.indeterminate',
    at: T0,
    data: { stepId, attempt, dispatchId: d(stepId, attempt), reason: 'in_flight_at_recovery' },
  }),
};

export const dispatchId = d;

export interface Given {
  readonly program: RunProgram;
  readonly state: RunState;
  when(event: RunEvent): When;
}
export interface When {
  readonly state: RunState;
  readonly commands: readonly Command[];
  /** Asserts the exact list of command types caused by the event. */
  then(types: readonly string[]): When;
  /** Asserts that commands (partially) match, in order. */
  thenMatches(partial: readonly unknown[]): When;
  /** Asserts the status of steps (and of the run). */
  thenStatus(steps: Record<string, string>, run?: string): When;
  /** Continue from here. */
  and(event: RunEvent): When;
}

const whenOf = (program: RunProgram, state: RunState, commands: readonly Command[]): When => {
  const self: When = {
    state,
    commands,
    // biome-ignore lint/suspicious/noThenProperty: given/when/then is the test vocabulary; a When is never awaited.
    then: (types) => {
      expect(commands.map((c) => c.type)).toEqual(types);
      return self;
    },
    thenMatches: (partial) => {
      expect(commands).toMatchObject(partial);
      return self;
    },
    thenStatus: (steps, run) => {
      for (const [id, status] of Object.entries(steps))
        expect([id, state.steps[id]?.status]).toEqual([id, status]);
      if (run) expect(state.status).toBe(run);
      return self;
    },
    and: (event) => {
      const t = program.apply(state, event);
      return whenOf(program, t.state, t.commands);
    },
  };
  return self;
};

/**
 * given(plan, events).when(event).then(commandTypes): events in, commands out.
 * `given` starts the run (run.started is implicit) and applies the events.
 */
export const given = (
  p: ReturnType<typeof plan>,
  events: readonly RunEvent[] = [],
  options: { started?: Record<string, unknown>; schemas?: SchemaLookup } = {},
): Given => {
  const program = createRunProgram(p, options.schemas ? { schemas: options.schemas } : {});
  let state = program.start(started(p, options.started)).state;
  for (const e of events) state = program.apply(state, e).state;
  return {
    program,
    state,
    when: (event) => {
      const t = program.apply(state, event);
      return whenOf(program, t.state, t.commands);
    },
  };
};

/** The commands of run.started itself. */
export const startCommands = (p: ReturnType<typeof plan>, extra: Record<string, unknown> = {}) =>
  createRunProgram(p).start(started(p, extra)).commands;
