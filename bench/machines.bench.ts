/**
 * Run machines: transitions/s of the compiled W3 machine (pure fold, XState `transition()`,
 * live actor `send`) next to a bare XState machine measured in the same run, replay
 * throughput, and compile time for a plan of 1,000 steps.
 */
import { assign, createActor, createMachine, initialTransition, transition } from 'xstate';
import { planSchema } from '../src/blueprints/plan.js';
import { createRunProgram, INBOUND_EVENT_TYPES, replay } from '../src/machines/index.js';
import type { RunEvent } from '../src/machines/types.js';
import { simulate } from '../src/testing/simulate.js';

export const name = 'machines';

const w3 = planSchema.parse({
  blueprint: { id: 'bench.w3', version: '1' },
  steps: [
    { id: 'a', executor: 'echo' },
    { id: 'b', executor: 'echo', needs: ['a'], input: { a: { from: 'step', step: 'a' } } },
    { id: 'c', executor: 'echo', needs: ['b'], input: { b: { from: 'step', step: 'b' } } },
  ],
});

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

const time = (fn: () => number): { events: number; ms: number } => {
  const t0 = performance.now();
  const events = fn();
  return { events, ms: performance.now() - t0 };
};

const bare = createMachine({
  context: { n: 0 },
  initial: 'a',
  states: {
    a: { on: { go: { target: 'b', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    b: { on: { go: { target: 'a' } } },
  },
});

export const run = async (): Promise<Record<string, unknown>> => {
  const program = createRunProgram(w3);
  const log = simulate(program, []).log;
  const inbound = log.filter((e) => INBOUND_EVENT_TYPES.has(e.type));
  const runs = 3_000;
  const machine = program.machine;

  const fold = time(() => {
    for (let i = 0; i < runs; i++) replay(program, log);
    return runs * inbound.length;
  });
  const pure = time(() => {
    for (let i = 0; i < runs; i++) {
      let s = initialTransition(machine)[0];
      for (const e of inbound) s = transition(machine, s, e as never)[0];
    }
    return runs * inbound.length;
  });
  const live = time(() => {
    for (let i = 0; i < runs; i++) {
      const actor = createActor(machine).start();
      for (const e of inbound) actor.send(e as never);
      actor.stop();
    }
    return runs * inbound.length;
  });
  const sends = 200_000;
  const bareLive = time(() => {
    const actor = createActor(bare).start();
    for (let i = 0; i < sends; i++) actor.send({ type: 'go' });
    actor.stop();
    return sends;
  });
  const barePure = time(() => {
    let s = initialTransition(bare)[0];
    for (let i = 0; i < sends / 4; i++) s = transition(bare, s, { type: 'go' })[0];
    return sends / 4;
  });

  const big = planSchema.parse({
    blueprint: { id: 'bench.big', version: '1' },
    steps: Array.from({ length: 1_000 }, (_, i) => ({
      id: `s${i}`,
      executor: 'echo',
      needs: i > 0 ? [`s${i - 1}`] : [],
    })),
  });
  const compile = time(() => {
    const p = createRunProgram(big);
    return p.machine ? 1 : 0;
  });
  const bigProgram = createRunProgram(big);
  const bigLog = simulate(bigProgram, []).log;
  const bigFold = time(() => replay(bigProgram, bigLog).inbound);
  const bigInbound = bigLog.filter((e) => INBOUND_EVENT_TYPES.has(e.type)).slice(0, 200) as RunEvent[];
  const bigLive = time(() => {
    const actor = createActor(bigProgram.machine).start();
    for (const e of bigInbound) actor.send(e as never);
    actor.stop();
    return bigInbound.length;
  });

  return {
    w3: {
      eventsPerRun: inbound.length,
      foldEventsPerSec: rate(fold.events, fold.ms),
      xstateTransitionEventsPerSec: rate(pure.events, pure.ms),
      liveActorEventsPerSec: rate(live.events, live.ms),
      usPerEvent: {
        fold: (fold.ms * 1000) / fold.events,
        xstateTransition: (pure.ms * 1000) / pure.events,
        liveActor: (live.ms * 1000) / live.events,
      },
    },
    bareXState: {
      liveSendPerSec: rate(bareLive.events, bareLive.ms),
      pureTransitionPerSec: rate(barePure.events, barePure.ms),
    },
    plan1000Steps: {
      compileMs: compile.ms,
      replayEventsPerSec: rate(bigFold.events, bigFold.ms),
      liveActorEventsPerSec: rate(bigLive.events, bigLive.ms),
    },
  };
};
