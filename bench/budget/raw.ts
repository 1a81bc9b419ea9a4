/**
 * Raw limits for the latency budget, measured in the same run as the pipeline: one flushed
 * LMDB put (the environment opened exactly as Lily opens `.lily/db`), the encoding of a W3
 * run's stored events as the log stores them (their JSON bytes, decision 036), and the per-event cost of the run
 * program (what the run host applies per fact) next to XState `transition()` of the compiled
 * W3 machine and of a bare two-state machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, createMachine, initialTransition, transition } from 'xstate';
import { planSchema } from '../../src/blueprints/plan.js';
import type { StoredEvent } from '../../src/contracts/events/envelope.js';
import { storedEventJson as encode } from '../../src/eventstore/event-bytes.js';
import { openLilyLmdb, openRawDb } from '../../src/eventstore/lmdb-env.js';
import { createRunProgram, INBOUND_EVENT_TYPES } from '../../src/machines/index.js';
import type { RunEvent } from '../../src/machines/types.js';
import { simulate } from '../../src/testing/simulate.js';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};
const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** One flushed put at a time (`put`, then `await flushed`), `n` times, with W3's events as values. */
export const flushedPutLatency = async (events: readonly StoredEvent[], n = 300) => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-bench-raw-'));
  const root = openLilyLmdb(dir);
  try {
    const db = openRawDb<number>(root, 'raw');
    const lat: number[] = [];
    for (let i = 0; i < n; i++) {
      const value = encode(events[i % events.length] as StoredEvent);
      const t = performance.now();
      void db.put(i, value);
      await root.flushed;
      lat.push(performance.now() - t);
    }
    const rounds = 20_000;
    let bytes = 0;
    const t = performance.now();
    for (let i = 0; i < rounds; i++) bytes += encode(events[i % events.length] as StoredEvent).length;
    const encodeUs = ((performance.now() - t) * 1000) / rounds;
    return {
      puts: n,
      p50Ms: r3(pct(lat, 0.5)),
      p99Ms: r3(pct(lat, 0.99)),
      encoding: 'json',
      encodeUsPerEvent: r3(encodeUs),
      bytesPerEvent: Math.round(bytes / rounds),
    };
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

const W3 = planSchema.parse({
  blueprint: { id: 'bench.w3', version: '1' },
  steps: [
    { id: 'a', executor: 'echo' },
    { id: 'b', executor: 'echo', needs: ['a'], input: { a: { from: 'step', step: 'a' } } },
    { id: 'c', executor: 'echo', needs: ['b'], input: { b: { from: 'step', step: 'b' } } },
  ],
});

const bare = createMachine({
  context: { n: 0 },
  initial: 'a',
  states: {
    a: { on: { go: { target: 'b', actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    b: { on: { go: { target: 'a' } } },
  },
});

/** Microseconds per event: the run program's apply (the host's fold), XState transition() of W3 and bare. */
export const machineCosts = () => {
  const program = createRunProgram(W3);
  const inbound = simulate(program, []).log.filter((e) => INBOUND_EVENT_TYPES.has(e.type)) as RunEvent[];
  const [first, ...rest] = inbound;
  if (!first) throw new Error('W3 simulation produced no events');
  const runs = 2_000;
  let t = performance.now();
  for (let i = 0; i < runs; i++) {
    let s = program.start(first).state;
    for (const e of rest) s = program.apply(s, e).state;
  }
  const applyUs = ((performance.now() - t) * 1000) / (runs * inbound.length);
  const machine = program.machine;
  t = performance.now();
  for (let i = 0; i < runs / 4; i++) {
    let s = initialTransition(machine)[0];
    for (const e of inbound) s = transition(machine, s, e as never)[0];
  }
  const w3TransitionUs = ((performance.now() - t) * 1000) / ((runs / 4) * inbound.length);
  const sends = 50_000;
  t = performance.now();
  let s = initialTransition(bare)[0];
  for (let i = 0; i < sends; i++) s = transition(bare, s, { type: 'go' })[0];
  const bareTransitionUs = ((performance.now() - t) * 1000) / sends;
  return {
    w3InboundEventsPerRun: inbound.length,
    runProgramApplyUs: r3(applyUs),
    w3XStateTransitionUs: r3(w3TransitionUs),
    bareXStateTransitionUs: r3(bareTransitionUs),
  };
};
