/**
 * `lily`: the public API. What a user's own repository imports to write blueprints and packs,
 * to compile and check them, and to talk to a deployment. Everything else in the package is
 * internal and may move between versions.
 */

// Blueprints, packs and the compile boundary.
export type { AnyBlueprint, Blueprint, PlanBody } from './blueprints/blueprint.js';
export {
  BUILTIN_BLUEPRINTS,
  commandBlueprint,
  councilBlueprint,
  createBuiltinCatalog,
  pipelineBlueprint,
} from './blueprints/builtins/index.js';
export type { Catalog, ExecutorInfo, GateTemplate, PackInfo, PartitionerInfo } from './blueprints/catalog.js';
export { type CompiledPlan, compileBlueprint } from './blueprints/compile.js';
export { defineBlueprint } from './blueprints/define.js';
export { definePack, type LilyPack } from './blueprints/packs.js';
export type { Plan, PlanStep } from './blueprints/plan.js';
// The executor and partitioner plug-in contract.
export type { ArtifactStore, PutArtifactOptions, PutJsonOptions } from './contracts/artifact-store.js';
// Errors.
export { ERROR_CODES, type ErrorCode, isErrorCode } from './contracts/error-codes.js';
export { hasErrorCode, isLilyError, LilyError, toLilyError } from './contracts/errors.js';
// Events.
export type { EventData, EventType } from './contracts/events/catalog.js';
export type { StoredEvent } from './contracts/events/envelope.js';
export type { ArtifactRef } from './contracts/events/shared-schemas.js';
export {
  type ExecutionContext,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutorFn,
  isStepError,
  type PartitionerFn,
  StepError,
} from './contracts/executor.js';
export type { Json, JsonObject } from './contracts/json.js';
export type { Logger } from './contracts/logger.js';
// Receipts.
export type { RunReceipt, StepReceipt } from './eventstore/projections/receipt-types.js';

// Client.

export {
  type ApprovalAnswered,
  type ApprovalView,
  type BlueprintEntry,
  type BlueprintGraph,
  type CancelReceipt,
  type DeploymentDown,
  type DeploymentStatus,
  type DeploymentUp,
  type DoctorReport,
  type EngineMode,
  type FinalStatus,
  type FollowRunOptions,
  type JobEntry,
  type JobPlan,
  type JobUpgrade,
  type JobValidation,
  LilyClient,
  type LilyClientOptions,
  type ListRunsOptions,
  type ProjectLocation,
  type ReceiptView,
  type ReplayReport,
  type ResolveAnswer,
  type ResolveReceipt,
  type RunDescription,
  type RunHandle,
  type RunIdentity,
  type RunListStatus,
  type RunRequestOptions,
  type RunResult,
  type RunSummary,
  type Tail,
  type TailMessage,
} from './client/index.js';
