/**
 * `lily`: the public API. What a user's own repository imports to write blueprints and packs,
 * to compile and check them, and to read what runs produce. Everything else in the package is
 * internal and may move between versions; `lily/testing` holds the property-test harness.
 * Reference: docs/package.md. test/unit/public-api.unit.test.ts holds this list and checks that
 * every export is documented at its declaration.
 */

// Blueprints: the contract, the plan, the compile boundary and the built-in catalog.
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
export type { JobKind } from './blueprints/job-kinds.js';
export {
  definePack,
  installPack,
  type LilyPack,
  type PackExecutor,
  type PackPartitioner,
} from './blueprints/packs.js';
export type {
  Backoff,
  InputRef,
  Plan,
  PlanGate,
  PlanInput,
  PlanPartition,
  PlanRoute,
  PlanStep,
  RouteOutcome,
} from './blueprints/plan.js';
export type { BlueprintRegistry } from './blueprints/registry.js';
export type { SchemaRegistry } from './blueprints/schema-registry.js';
export type { CompileTools, RoutingPolicy, StepInput, StepTemplate } from './blueprints/templates.js';

// Contracts: the executor and partitioner plug-in contract and the ports an executor is handed
// (artifacts, logger), canonical JSON and hashes, errors and their codes, events, ids, JSON.
export type { ArtifactStore, PutArtifactOptions, PutJsonOptions } from './contracts/artifact-store.js';
export { canonicalJson, hashJson, sha256Hex } from './contracts/canonical-json.js';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './contracts/error-codes.js';
export { type ErrorData, hasErrorCode, isLilyError, LilyError, toLilyError } from './contracts/errors.js';
export { EVENT_TYPES, type EventData, type EventType, isEventType } from './contracts/events/catalog.js';
export type { EventMeta, StoredEvent } from './contracts/events/envelope.js';
export type { ArtifactRef, BlueprintRunEnvelope, ErrorInfo } from './contracts/events/shared-schemas.js';
export {
  type ExecutionContext,
  type ExecutionRequest,
  type ExecutionResult,
  type ExecutorFn,
  isRetryableStepError,
  isStepError,
  isTerminalStepError,
  type PartitionerFn,
  type PreparedCommand,
  RetryableStepError,
  StepError,
  type StepFailure,
  stepFailureOf,
  TerminalStepError,
} from './contracts/executor.js';
export { type JobId, parseJobId, parseRunId, parseStepId, type RunId, type StepId } from './contracts/ids.js';
export {
  type Json,
  type JsonObject,
  type JsonPrimitive,
  jsonObjectSchema,
  jsonSchema,
} from './contracts/json.js';
export type { Logger } from './contracts/logger.js';

// Receipts: what a run leaves behind (`run_receipt.json`).
export type {
  ApprovalEntry,
  AttemptOutcome,
  AttemptReceipt,
  GateReceipt,
  PolicyEntry,
  RunReceipt,
  RunStatus,
  StepReceipt,
  StepStatus,
} from './eventstore/projections/receipt-types.js';

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
