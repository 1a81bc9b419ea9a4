import fc from 'fast-check';
import { createActor } from 'xstate';
import type { AnyBlueprint } from '../blueprints/blueprint.js';
import { type Plan, planSchema } from '../blueprints/plan.js';
import { canonicalJson, LilyError } from '../contracts/index.js';
import type { EnvironmentOptions } from '../machines/environment.js';
import { createRunProgram, type RunProgram } from '../machines/program.js';
import { replay, verify } from '../machines/replay.js';
import type { SchemaLookup } from '../machines/types.js';
import { outcomesArb } from './arbitraries.js';
import { eventBound, type Simulation, simulate } from './simulate.js';

const broken = (property: string, message: string, data: Record<string, unknown> = {}) =>
  new LilyError('blueprint_contract_invalid', `${property}: ${message}`, { property, ...data });

const noCatalog = (what: string) => () => {
  throw new LilyError(
    'blueprint_compile_failed',
    `${what} needs a pack catalog: pass options.compile to checkBlueprint`,
    { what },
  );
};

/**
 * Compiles a blueprint with (parsed) bindings into a Plan without a pack catalog: parses
 * `{ blueprint: { id, version }, kind, ...compile(bindings) }` with planSchema. Blueprints
 * that use step templates or routing policies need the real compile boundary: pass it as
 * `options.compile` to `checkBlueprint`.
 */
export const compileBlueprintPlan = (blueprint: AnyBlueprint, bindings: unknown): Plan => {
  const tools = { stepTemplate: noCatalog('a step template'), routingPolicy: noCatalog('a routing policy') };
  const body = (blueprint.compile as (b: unknown, t: unknown) => object)(bindings, tools);
  return planSchema.parse({
    kind: blueprint.kind,
    ...body,
    blueprint: { id: blueprint.id, version: blueprint.version },
  });
};

const checkRetries = (program: RunProgram, sim: Simulation): void => {
  const tries = new Map<string, number>();
  for (const e of sim.log) {
    const d = e.data as { stepId: string; shard?: string };
    if (e.type === 'policy.requested')
      for (const k of [...tries.keys()]) if (k.startsWith(`${d.stepId}\u0000`)) tries.delete(k);
    if (e.type !== 'step.dispatched') continue;
    const key = `${d.stepId}\u0000${d.shard ?? ''}`;
    const n = (tries.get(key) ?? 0) + 1;
    tries.set(key, n);
    const max = program.index.byId.get(d.stepId)?.retry.maxAttempts ?? 1;
    if (n > max)
      throw broken(
        'retries within bound',
        `${key.replace('\u0000', '/')} dispatched ${n} times in one visit (max ${max})`,
        { seq: e.seq },
      );
  }
};

/**
 * Checks one simulated run of a program: it ended within the plan's bound, nothing was
 * dispatched after `run.completed` (and no event afterwards causes commands), no step or shard
 * was tried more than `retry.maxAttempts` times per visit, `verify` (with the XState machine
 * stepped alongside) accepts the log, and a live XState actor fed the same events ends in the
 * same state with the same output.
 * @throws LilyError `blueprint_contract_invalid` naming the broken property, or the
 * `replay_nondeterministic` error of `verify`.
 */
export const checkRun = (
  program: RunProgram,
  choices: readonly number[],
  environment?: EnvironmentOptions,
): Simulation => {
  const sim = simulate(program, choices, environment ? { environment } : {});
  if (sim.state.status === 'running')
    throw broken('terminates', `still running after ${sim.inbound} events (bound ${eventBound(program)})`);
  const end = sim.log.findIndex((e) => e.type === 'run.completed');
  if (end !== sim.log.length - 1)
    throw broken('nothing after the end', 'events follow run.completed', { end, events: sim.log.length });
  const late = program.apply(sim.state, {
    type: 'run.cancel_requested',
    at: Number.MAX_SAFE_INTEGER,
    data: { by: 'check' },
  });
  if (late.commands.length > 0)
    throw broken('nothing after the end', 'an event after the end caused commands');
  checkRetries(program, sim);
  const verified = verify(program, sim.log, { checkMachine: true });
  const folded = replay(program, sim.log).state;
  if (
    canonicalJson(verified.state) !== canonicalJson(sim.state) ||
    canonicalJson(folded) !== canonicalJson(sim.state)
  ) {
    throw broken('replay equals live', 'the replayed state differs from the live one');
  }
  const actor = createActor(program.machine).start();
  for (const t of sim.transitions) actor.send(t.event as never);
  const snap = actor.getSnapshot();
  actor.stop();
  if (
    snap.status !== 'done' ||
    snap.value !== sim.state.status ||
    canonicalJson(snap.output) !== canonicalJson(sim.state.outcome)
  ) {
    throw broken(
      'live actor equals fold',
      `the live actor ended in ${JSON.stringify(snap.value)}, the fold in ${sim.state.status}`,
    );
  }
  return sim;
};

export interface CheckBlueprintOptions {
  /** fast-check runs (default 100). */
  readonly numRuns?: number;
  readonly seed?: number;
  /** Output schemas for `outputSchema` names. */
  readonly schemas?: SchemaLookup;
  /** How the simulated world may answer (shard counts, cancellations, ...). */
  readonly environment?: EnvironmentOptions;
  /** The compile boundary to use (e.g. `(b) => compileBlueprint(catalog, blueprint, b).plan`); default `compileBlueprintPlan`. */
  readonly compile?: (bindings: unknown) => Plan;
}

/**
 * Property-tests a blueprint: for random bindings (from `bindingsArb`) and random outcome
 * sequences, the compiled plan's run machine terminates within its bounds, never dispatches
 * after the end, never exceeds retry bounds, and replays its own log exactly.
 * Throws (through fast-check) with the counterexample when a property fails.
 *
 * @example
 * checkBlueprint(myBlueprint, fc.record({ name: fc.string() }), { numRuns: 200 });
 */
export const checkBlueprint = (
  blueprint: AnyBlueprint,
  bindingsArb: fc.Arbitrary<unknown>,
  options: CheckBlueprintOptions = {},
): void => {
  fc.assert(
    fc.property(bindingsArb, outcomesArb(), (bindings, choices) => {
      const plan = options.compile
        ? options.compile(bindings)
        : compileBlueprintPlan(blueprint, blueprint.bindings.parse(bindings));
      checkRun(
        createRunProgram(plan, options.schemas ? { schemas: options.schemas } : {}),
        choices,
        options.environment,
      );
    }),
    { numRuns: options.numRuns ?? 100, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
  );
};
