import fc from 'fast-check';
import { createActor } from 'xstate';
import type { AnyBlueprint } from '../blueprints/blueprint.js';
import { createBuiltinCatalog } from '../blueprints/builtins/index.js';
import type { Catalog } from '../blueprints/catalog.js';
import { compileBlueprint } from '../blueprints/compile.js';
import { canonicalJson, LilyError } from '../contracts/index.js';
import type { EnvironmentOptions } from '../machines/environment.js';
import { createRunProgram, type RunProgram } from '../machines/program.js';
import { replay, verify } from '../machines/replay.js';
import { outcomesArb } from './arbitraries.js';
import { eventBound, type Simulation, simulate } from './simulate.js';

const broken = (property: string, message: string, data: Record<string, unknown> = {}) =>
  new LilyError('blueprint_contract_invalid', `${property}: ${message}`, { property, ...data });

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
 * same state with the same output. Returns the simulation.
 *
 * @throws LilyError `blueprint_contract_invalid` with `data.property` naming the broken
 * property, or the `replay_nondeterministic` error of `verify`.
 * @example
 * const program = createRunProgram(compileBlueprint(catalog, blueprint, bindings).plan);
 * fc.assert(fc.property(outcomesArb(), (choices) => { checkRun(program, choices); }));
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

/** Options of `checkBlueprint`. */
export interface CheckBlueprintOptions {
  /** fast-check runs (default 100). */
  readonly numRuns?: number;
  /** Replays a failure: fast-check prints the seed (and path) of a counterexample. */
  readonly seed?: number;
  /**
   * The catalog the blueprint is compiled against, as a project's engine would (default: a
   * fresh `createBuiltinCatalog()`). Install your packs into it (`installPack`) when the
   * blueprint uses their executors, partitioners, job kinds, schemas or templates.
   */
  readonly catalog?: Catalog;
  /** How the simulated world may answer (shard counts, cancellations, ...). */
  readonly environment?: EnvironmentOptions;
}

const compileChecked = (catalog: Catalog, blueprint: AnyBlueprint, bindings: unknown) => {
  const compiled = compileBlueprint(catalog, blueprint, bindings);
  const again = compileBlueprint(catalog, blueprint, bindings);
  if (again.planHash !== compiled.planHash) {
    throw broken('deterministic compile', 'the same bindings compiled to two different plans', {
      planHashes: [compiled.planHash, again.planHash],
    });
  }
  return compiled.plan;
};

/**
 * Property-tests a blueprint: for random bindings (from `bindingsArb`, as a job would write
 * them) and random outcome sequences, the blueprint compiles through the same compile boundary
 * the engine uses (`compileBlueprint` against `options.catalog`, by default the built-ins), to
 * the same plan twice, and the run machine of that plan terminates within its bounds, never
 * dispatches after the end, never exceeds retry bounds, and replays its own log exactly.
 *
 * @throws Error from fast-check when a property fails, naming the counterexample (bindings and
 * outcome sequence) and the seed to replay it, with the LilyError as `cause`: what the compile
 * boundary refuses (`blueprint_bindings_invalid`, `blueprint_compile_failed` with its `reason`:
 * `unbounded_cycle`, `input_not_upstream`, `unknown_executor`, ...; `job_kind_unknown`,
 * `stage_*`), `blueprint_contract_invalid` with `data.property` for a broken run property
 * (`deterministic compile`, `terminates`, `nothing after the end`, `retries within bound`,
 * `replay equals live`, `live actor equals fold`), or `replay_nondeterministic`.
 * @example
 * import fc from 'fast-check';
 * import { checkBlueprint } from 'lily/testing';
 *
 * checkBlueprint(releaseCheck, fc.record({ test_retries: fc.integer({ min: 0, max: 5 }) }), { numRuns: 200 });
 */
export const checkBlueprint = (
  blueprint: AnyBlueprint,
  bindingsArb: fc.Arbitrary<unknown>,
  options: CheckBlueprintOptions = {},
): void => {
  const catalog = options.catalog ?? createBuiltinCatalog();
  fc.assert(
    fc.property(bindingsArb, outcomesArb(), (bindings, choices) => {
      const plan = compileChecked(catalog, blueprint, bindings);
      checkRun(createRunProgram(plan, { schemas: catalog.schemas }), choices, options.environment);
    }),
    { numRuns: options.numRuns ?? 100, ...(options.seed !== undefined ? { seed: options.seed } : {}) },
  );
};
