/**
 * `lily/testing`: property-test blueprints and run machines with fast-check (a peer dependency
 * of this entry only). Reference: docs/testing.md.
 */

export type { EnvironmentOptions } from '../machines/environment.js';
export { createRunProgram, type RunProgram } from '../machines/program.js';
export { outcomesArb, type PlanArbOptions, planArb } from './arbitraries.js';
export { type CheckBlueprintOptions, checkBlueprint, checkRun } from './check.js';
export { eventBound, type SimulateOptions, type Simulation, simulate } from './simulate.js';
