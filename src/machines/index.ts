export { retryDelayMs } from './backoff.js';
export {
  CAUSED_EVENT_TYPES,
  type CommandTarget,
  commandTarget,
  commandToEvents,
  type EventToAppend,
  INBOUND_EVENT_TYPES,
} from './commands.js';
export {
  type CompileOptions,
  compileRunMachine,
  type RunMachine,
  type RunMachineContext,
  type RunMachineEvent,
} from './compile.js';
export { type EnvironmentOptions, possibleEvents } from './environment.js';
export { type ForkOptions, type ForkPlan, planFork } from './fork.js';
export {
  checkReachability,
  type GraphOptions,
  modelStart,
  type ReachabilityReport,
  shortestPathsToFinals,
} from './graph.js';
export { toDot, toMermaid } from './graph-export.js';
export { MACHINE_VERSION } from './machine-version.js';
export {
  applyEvent,
  createRun,
  createRunProgram,
  outstanding,
  type Recovery,
  type RunProgram,
} from './program.js';
export { statusesFor } from './program-index.js';
export {
  type LoggedEvent,
  type ReplayResult,
  type RunSnapshot,
  replay,
  resume,
  snapshotOf,
  type VerifyOptions,
  verify,
} from './replay.js';
export { stateValueOf } from './state-value.js';
export * from './types.js';
