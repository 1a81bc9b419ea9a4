/** `lily/testing`: property-test blueprints and run machines with fast-check. */
export { outcomesArb, type PlanArbOptions, planArb } from './arbitraries.js';
export { type CheckBlueprintOptions, checkBlueprint, checkRun, compileBlueprintPlan } from './check.js';
export { eventBound, type SimulateOptions, type Simulation, simulate } from './simulate.js';
