/**
 * `LilyClient`: the one way a program talks to a Lily deployment. The CLI, the web console and
 * users' scripts use it; this module also re-exports the types its results are made of, so a
 * front end needs nothing else (plus `src/contracts` for errors, ids and events).
 */

export type { ResolveAnswer } from '../actors/engine/resolve-fact.js';
export type { ApprovalStatus, ApprovalView } from '../actors/policy/approvals.js';
export type { PackInfo } from '../blueprints/catalog.js';
export type { BlueprintDescription } from '../blueprints/describe.js';
export type { JobSpec, JobTrigger } from '../blueprints/jobs/spec.js';
export type { Plan } from '../blueprints/plan.js';
export type { StopOutcome } from '../deployment/nats-server/index.js';
export type {
  ApprovalEntry,
  AttemptReceipt,
  GateReceipt,
  PolicyEntry,
  RunReceipt,
  RunStatus,
  StepReceipt,
  StepStatus,
} from '../eventstore/projections/receipt-types.js';
export type { RetentionReport } from '../eventstore/retention.js';
export type { ProjectLocation } from '../project/find.js';
export type { InitResult } from '../project/init.js';
export type { ApprovalAnswered, ApprovalsApi } from './approvals/api.js';
export type { ArtifactsApi } from './artifacts/api.js';
export type { BlueprintEntry, BlueprintsApi, JobPlan } from './blueprints/api.js';
export type { BlueprintGraph, GraphFormat, GraphView } from './blueprints/graph.js';
export type { EngineMode } from './connection/live-target.js';
export type { DeploymentApi } from './deployment/api.js';
export type { DeploymentDown, StoppedProcess } from './deployment/down.js';
export type { Refusal } from './deployment/refusals.js';
export type { DeploymentStatus, Health, ProcessStatus, RemoteWorkerStatus } from './deployment/status.js';
export type { DeploymentUp } from './deployment/up.js';
export type { EventsApi, TailMessage } from './events/api.js';
export type { Tail } from './events/tail.js';
export type { EventWatch, WatchHandlers, WatchStatus } from './events/watch.js';
export { formatBytes } from './format.js';
export type { JobsApi } from './jobs/api.js';
export type { PolicyFinding } from './jobs/policy-findings.js';
export type { JobSchedule, ScheduleTick } from './jobs/schedule.js';
export type { JobUpgrade, TargetRef } from './jobs/upgrade.js';
export type { JobEntry, JobValidation } from './jobs/validate.js';
export { LilyClient } from './lily-client.js';
export type { LilyClientOptions } from './options.js';
export type { ProjectApi } from './project/api.js';
export type { DoctorReport } from './project/doctor.js';
export type { Check, CheckStatus } from './project/doctor-checks.js';
export type { RunsApi } from './runs/api.js';
export type { CancelReceipt } from './runs/cancel.js';
export type { LifecycleEdge, MachineStepState, RunGraph, RunGraphStep } from './runs/graph.js';
export type { FollowRunOptions, ResolveReceipt, RunDescription, RunHandle } from './runs/handle.js';
export type { RunIdentity, RunManifest } from './runs/new-identity.js';
export type { ListRunsOptions, RunListStatus, RunSummary } from './runs/read.js';
export { RUN_LIST_STATUSES } from './runs/read.js';
export type { ReceiptFileCheck, ReceiptView } from './runs/receipt.js';
export type { ReplayReport } from './runs/replay.js';
export type { RunRequestOptions } from './runs/request.js';
export type { RerunPreview } from './runs/rerun-preview.js';
export type { FinalStatus, RunResult } from './runs/result.js';
export type { RunRow, RunSearch } from './runs/search.js';
