/**
 * The JSON the console's server sends its page: the contract between src/ui/server (which
 * builds these from LilyClient results; TypeScript checks the client's types are assignable)
 * and src/ui/web (which only reads them). Pure types, no imports: the browser bundle and the
 * Node server both compile this file.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every error the API returns: the LilyError code, message and data, or the console's own codes. */
export interface ApiError {
  error: { code: string; message: string; data: Record<string, unknown> };
}

export interface WireEvent {
  id: string;
  stream: string;
  seq: number;
  pos: number;
  type: string;
  at: number;
  data: unknown;
  meta: { causationId?: string; correlationId?: string; producer: string };
}

export interface WireErrorInfo {
  code: string;
  message: string;
  data: Record<string, unknown>;
}

export interface WireArtifactRef {
  sha256: string;
  size: number;
  mediaType: string;
  name: string;
  type?: string | undefined;
  producer: string;
  runId?: string | undefined;
  stepId?: string | undefined;
  inputs: string[];
  createdAt: number;
}

export type RunStatus = 'unknown' | 'requested' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface WireAttempt {
  attempt: number;
  dispatchId: string;
  shard: string | null;
  executor: string | null;
  worker: string | null;
  dispatchedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  outcome: string;
  retryable: boolean | null;
  error: WireErrorInfo | null;
  artifacts: string[];
}

export interface WireGate {
  gateId: string;
  attempt: number;
  dispatchId: string;
  executor: string | null;
  outcome: string;
  required: boolean | null;
  error: WireErrorInfo | null;
  at: number;
}

export interface WireStep {
  stepId: string;
  status: string;
  attempts: WireAttempt[];
  gates: WireGate[];
  partition: { partitioner: string; shards: string[] } | null;
  skipReason: string | null;
  durationMs: number;
  timeoutMs: number | null;
  sloBreached: boolean;
}

export interface WireReceipt {
  runId: string | null;
  jobId: string | null;
  status: RunStatus;
  blueprint: { id: string; version: string } | null;
  planHash: string | null;
  inputHash: string | null;
  kernelVersion: string | null;
  env: { fingerprint: string; vars: Record<string, string> } | null;
  dryRun: boolean | null;
  principal: string | null;
  trigger: { [key: string]: Json } | null;
  input: { [key: string]: Json } | null;
  parent: { runId: string; fromStep: string | null; gatesOnly: boolean } | null;
  timestamps: {
    requestedAt: number | null;
    startedAt: number | null;
    completedAt: number | null;
    durationMs: number | null;
  };
  steps: WireStep[];
  artifacts: WireArtifactRef[];
  policy: {
    stepId: string;
    attempt: number;
    decision: string;
    reasons: string[];
    rule: string | null;
    approvalId: string | null;
    at: number;
  }[];
  approvals: {
    approvalId: string;
    stepId: string;
    attempt: number;
    status: 'pending' | 'granted' | 'denied';
    reason: string;
    requestedAt: number;
    decidedAt: number | null;
    by: string | null;
    comment: string | null;
  }[];
  cancel: { by: string; reason: string | null; at: number } | null;
  error: WireErrorInfo | null;
  envelope: {
    status: string;
    artifacts: WireArtifactRef[];
    references: Record<string, Json>;
    payload: Json;
  } | null;
  log: { stream: string | null; events: number; lastSeq: number };
}

/** GET /api/session */
export interface SessionInfo {
  csrf: string;
  project: string;
  namespace: string | null;
  identity: string;
  version: string;
  live: boolean;
}

export interface RunRow {
  runId: string;
  jobId: string | null;
  status: RunStatus;
  startedAt: number | null;
  durationMs: number | null;
  steps: { ok: number; total: number };
  trigger: string | null;
  parentRunId: string | null;
  fromStep: string | null;
  dryRun: boolean | null;
  completedAt: number | null;
  error: { code: string; message: string } | null;
  waiting: { approvals: number; indeterminate: number };
}

/** GET /api/runs */
export interface RunList {
  runs: RunRow[];
  total: number;
}

/** GET /api/runs/:id */
export interface RunDetail {
  receipt: WireReceipt;
  steps: { ok: number; total: number };
  /** Where the projector writes the receipt files. */
  dir: string;
  /** summary.md as rebuilt from the log. */
  summary: string;
  /** Re-runs and forks of this run, newest first. */
  children: RunRow[];
  /** The pinned plan's steps (from run.started), in plan order: id, executor, needs. */
  plan: { id: string; executor: string; needs: string[]; with: Record<string, Json>; idempotent: boolean }[];
}

/** GET /api/runs/:id/events */
export interface RunEvents {
  events: WireEvent[];
}

export interface GraphStep {
  id: string;
  title: string | null;
  executor: string;
  needs: string[];
  routes: { on: string; to: string }[];
  partition: { partitioner: string; concurrency: number; mode: string } | null;
  gates: { id: string; required: boolean }[];
  approval: string | null;
  idempotent: boolean;
  start: 'needs' | 'route';
  state: string;
  attempt: number;
  visits: number;
  memoized: boolean;
  shards: { key: string; status: string; attempt: number }[];
  gateStates: Record<string, string>;
  states: string[];
  edges: { from: string; to: string; label: string }[];
}

/** GET /api/runs/:id/graph */
export interface RunGraphDoc {
  graph: { runId: string; planHash: string; status: string; steps: GraphStep[] } | null;
}

/** POST /api/runs/:id/replay */
export interface ReplayDoc {
  verified: boolean;
  status?: string;
  recordedStatus?: string;
  planHash?: string;
  events?: number;
  inbound?: number;
  ms?: number;
  eventsPerSecond?: number | null;
  /** Set when verification failed: the error the replay raised (first diverging event in data). */
  error?: { code: string; message: string; data: Record<string, unknown> };
}

export interface LineageDoc {
  root: string;
  nodes: { sha256: string; refs: WireArtifactRef[]; inputs: string[]; missing: boolean }[];
  edges: [string, string][];
}

export interface ApprovalRow {
  approvalId: string;
  runId?: string | undefined;
  jobId?: string | undefined;
  stepId: string;
  attempt: number;
  reason: string;
  requestedAt: number;
  status: 'pending' | 'granted' | 'denied';
  by?: string | undefined;
  answeredAt?: number | undefined;
  note?: string | undefined;
}

/** GET /api/approvals */
export interface ApprovalList {
  approvals: ApprovalRow[];
}

export type JobTrigger =
  | { manual: true }
  | {
      cron: string;
      timezone: string;
      overlap: 'skip' | 'queue' | 'allow';
      catchup: { window_ms: number; max_runs: number };
    };

export interface ScheduleTick {
  scheduledAt: number;
  decision: 'run' | 'skip' | 'queue';
  reason: string | null;
  runId: string | null;
  at: number;
}

export interface JobRow {
  id: string;
  title: string | null;
  valid: boolean;
  error: { code: string; message: string } | null;
  target: { id: string; version?: string | undefined } | null;
  trigger: JobTrigger | null;
  next: number[];
  recent: ScheduleTick[];
  lastRuns: RunRow[];
}

/** GET /api/jobs */
export interface JobList {
  jobs: JobRow[];
}

/** GET /api/jobs/:id */
export interface JobDetail extends JobRow {
  file: string | null;
  spec: Json;
  plan: { planHash: string; steps: { id: string; executor: string; needs: string[] }[] } | null;
  planError: { code: string; message: string } | null;
}

export interface ProcessRow {
  id: string;
  role: string;
  pid: number;
  health: 'ok' | 'not_answering' | 'dead';
  startedAt: number;
  uptimeMs: number | null;
  inFlight: number | null;
  executors: string[];
  log: string;
}

export interface InFlightRow {
  runId: string;
  jobId: string | null;
  stepId: string;
  attempt: number;
  shard: string | null;
  dispatchId: string;
  worker: string | null;
  state: string;
  since: number | null;
}

export interface RefusalRow {
  process: string;
  at: number;
  event: string;
  reason: string;
  runId: string | null;
  subject: string | null;
}

/** GET /api/deployment */
export interface DeploymentDoc {
  up: boolean;
  healthy: boolean;
  namespace: string;
  nats: { status: string; url?: string | undefined; managed?: boolean | undefined };
  processes: ProcessRow[];
  inFlight: InFlightRow[];
  waiting: { approvals: number; indeterminate: number };
  refusals: { total: number; recent: RefusalRow[] };
  live: boolean;
}

/** A preview: what an action will do, in sentences and the facts behind them. */
export interface Preview {
  action: string;
  /** Can it be done now? When not, `blocked` says why. */
  allowed: boolean;
  blocked: string | null;
  /** What will happen, one sentence per effect. */
  effects: string[];
  /** The facts the effects come from (step ids, dispatches, plan hashes...). */
  facts: Record<string, Json>;
}

/** The result of an action (POST without /preview). */
export interface ActionResult {
  ok: true;
  /** Where to go next (the new run of a rerun or a job run). */
  runId?: string;
  message: string;
  data: Json;
}

/** Server-sent events on /api/live. */
export type LiveMessage =
  | { kind: 'hello'; live: boolean }
  | { kind: 'status'; live: boolean }
  | {
      kind: 'event';
      stream: string;
      seq: number;
      pos: number;
      type: string;
      at: number;
      runId: string | null;
      jobId: string | null;
    };
