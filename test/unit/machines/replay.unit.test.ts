import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { planSchema } from '../../../src/blueprints/plan.js';
import { hasErrorCode } from '../../../src/contracts/index.js';
import {
  createRunProgram,
  INBOUND_EVENT_TYPES,
  planFork,
  replay,
  resume,
  snapshotOf,
  verify,
} from '../../../src/machines/index.js';
import type { LoggedEvent } from '../../../src/machines/replay.js';
import { simulate } from '../../../src/testing/simulate.js';
import { ev, plan, started } from './given.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/histories');
const goldens = readdirSync(dir).filter((f) => f.endsWith('.json'));

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('golden histories', () => {
  it('there are golden histories to replay', () => expect(goldens.length).toBeGreaterThanOrEqual(4));

  for (const file of goldens) {
    it(`${file} replays exactly (fold, XState transition() and a live actor)`, () => {
      const golden = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        version: number;
        status: string;
        plan: unknown;
        events: LoggedEvent[];
      };
      expect(golden.version).toBe(1);
      const program = createRunProgram(planSchema.parse(golden.plan));
      const result = verify(program, golden.events, { checkMachine: true });
      expect(result.state.status).toBe(golden.status);
      const actor = createActor(program.machine).start();
      for (const e of golden.events) if (INBOUND_EVENT_TYPES.has(e.type)) actor.send(e as never);
      expect(actor.getSnapshot().value).toBe(golden.status);
    });
  }
});

const p = plan([
  { id: 'a', executor: 'x' },
  { id: 'b', executor: 'x', needs: ['a'], gates: [{ id: 'g' }] },
  { id: 'c', executor: 'x', needs: ['b'] },
]);
const program = createRunProgram(p);
const log = simulate(program, []).log;

describe('verify', () => {
  it('given the recorded log, verify accepts it', () => {
    expect(verify(program, log).state.status).toBe('succeeded');
  });

  it('given a plan that changed, replay fails with replay_plan_drift', () => {
    const changed = createRunProgram(plan([{ id: 'a', executor: 'y' }]));
    const e = thrown(() => verify(changed, log));
    expect(hasErrorCode(e, 'replay_plan_drift')).toBe(true);
  });

  it('given a recorded command that differs, verify names the first diverging event', () => {
    const tampered = log.map((e) =>
      e.type === 'step.dispatched' && (e.data as { stepId: string }).stepId === 'b'
        ? { ...e, data: { ...(e.data as object), input: { evil: true } } }
        : e,
    );
    const e = thrown(() => verify(program, tampered));
    expect(hasErrorCode(e, 'replay_nondeterministic')).toBe(true);
    const cause = log.find(
      (x) => x.type === 'policy.decided' && (x.data as { stepId: string }).stepId === 'b',
    );
    expect((e as { data: Record<string, unknown> }).data).toMatchObject({
      seq: cause?.seq,
      type: 'policy.decided',
    });
  });

  it('given a command missing from the log, verify fails', () => {
    const missing = log.filter((e) => e.type !== 'gate.dispatched');
    expect(
      hasErrorCode(
        thrown(() => verify(program, missing)),
        'replay_nondeterministic',
      ),
    ).toBe(true);
  });
});

describe('resume', () => {
  it('given a snapshot mid-run, resuming with the rest of the log equals a full replay', () => {
    const cut = log.findIndex((e) => e.type === 'gate.dispatched');
    const head = replay(program, log.slice(0, cut + 1));
    const resumed = resume(program, { snapshot: snapshotOf(head.state, head.seq), events: log });
    expect(resumed.state).toEqual(replay(program, log).state);
    const mid = resume(program, { events: log.slice(0, cut + 1) });
    expect(mid.recovery.resend.map((c) => c.type)).toEqual(['gate.run']);
  });

  it('given a persisted XState snapshot, a rehydrated actor continues the run', () => {
    const actor = createActor(program.machine).start();
    const inbound = log.filter((e) => INBOUND_EVENT_TYPES.has(e.type));
    for (const e of inbound.slice(0, 3)) actor.send(e as never);
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    const again = createActor(program.machine, { snapshot: persisted as never }).start();
    for (const e of inbound.slice(3)) again.send(e as never);
    expect(again.getSnapshot().value).toBe('succeeded');
  });
});

describe('fork', () => {
  it('given fromStep b, a is memoized and b, c run again', () => {
    const fork = planFork(program, log, { fromStep: 'b' });
    expect(fork.rerun).toEqual(['b', 'c']);
    expect(fork.forked).toMatchObject({
      parentRunId: 'SIMRUN',
      fromStep: 'b',
      memoized: ['a'],
      gatesOnly: false,
    });
    const child = program.start(started(p, { parent: fork.parent, memo: fork.memo }));
    expect(child.commands).toMatchObject([{ type: 'policy.check', data: { stepId: 'b' } }]);
    expect(child.state.steps.a).toMatchObject({ status: 'succeeded', memoized: true });
  });

  it('given gatesOnly, only the gates run against recorded outputs', () => {
    const fork = planFork(program, log, { gatesOnly: true });
    const child = program.start(started(p, { parent: fork.parent, memo: fork.memo }));
    expect(child.commands.map((c) => c.type)).toEqual(['gate.run']);
    const done = program.apply(child.state, ev.gatePassed('b', 'g'));
    expect(done.commands.map((c) => c.type)).toEqual(['run.complete']);
  });

  it('given an unknown fromStep, fork refuses', () => {
    expect(
      hasErrorCode(
        thrown(() => planFork(program, log, { fromStep: 'zz' })),
        'usage_invalid',
      ),
    ).toBe(true);
  });
});
