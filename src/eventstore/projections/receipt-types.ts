import type { ArtifactRef, BlueprintRunEnvelope, ErrorInfo } from '../../contracts/events/shared-schemas.js';
import type { JsonObject } from '../../contracts/json.js';

export const RECEIPT_SCHEMA = 'lily.run_receipt@1' as const;

/** A run's status in its receipt: `unknown` and `requested` before `run.started`. */
export type RunStatus = 'unknown' | 'requested' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** How one dispatch (an attempt of a step or shard) ended, or where it is. */
export type AttemptOutcome =
  | 'dispatched'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'indeterminate'
  /** The run cancelled it; no worker has said yet how it ended (or none ever will: it was lost). */
  | 'cancelling'
  /** Its worker stopped it (or never started it) because the run cancelled it. */
  | 'cancelled';
/** A step's status in the receipt. */
export type StepStatus =
  | 'pending'
  | 'awaiting_approval'
  | 'denied'
  | AttemptOutcome
  | 'retry_scheduled'
  | 'partitioned'
  | 'skipped';

/** One dispatch of a step (one attempt of one shard). */
export interface AttemptReceipt {
  attempt: number;
  dispatchId: string;
  shard: string | null;
  executor: string | null;
  worker: string | null;
  /** The machine the worker ran on (when it said). */
  host: string | null;
  /** What the attempt ran against, as the worker reported it (its workspace's commit, ...). */
  env: Record<string, string> | null;
  dispatchedAt: number | null;
  startedAt: number | null;
  /** When its work ended, as its worker reported it (else when its answer was recorded). */
  endedAt: number | null;
  /**
   * Why its work ended: `exited`, `step_timeout`, `shutdown`, or the reason the run cancelled it
   * (`cancelled`, `run_timeout`, `sibling_failed`, `run_finished`); null when not reported.
   */
  endReason: string | null;
  /** When the run cancelled it (`step.cancel_requested`), if it did. */
  cancelRequestedAt: number | null;
  durationMs: number | null;
  outcome: AttemptOutcome;
  retryable: boolean | null;
  error: ErrorInfo | null;
  /** sha256 of the artifacts the attempt produced. */
  artifacts: string[];
  /** Parts of its output cut at the executor's cap (`stdout`, `stderr`); empty when complete. */
  truncated: string[];
}

/** One run of a gate after a step attempt: passed or failed, required or optional. */
export interface GateReceipt {
  gateId: string;
  attempt: number;
  dispatchId: string;
  executor: string | null;
  /**
   * `skipped`: not run (a dry run skips every gate with side effects; `skipReason` says so).
   * `cancelling` / `cancelled`: the run cancelled it as it ended; its worker stopped it.
   */
  outcome: 'dispatched' | 'passed' | 'failed' | 'skipped' | 'cancelling' | 'cancelled';
  required: boolean | null;
  error: ErrorInfo | null;
  /** Why the gate was skipped (`dry_run`), else null. */
  skipReason: string | null;
  at: number;
}

/** One step of a receipt: its attempts, gates, partition, skip reason, durations and SLO. */
export interface StepReceipt {
  stepId: string;
  status: StepStatus;
  attempts: AttemptReceipt[];
  gates: GateReceipt[];
  partition: { partitioner: string; shards: string[] } | null;
  skipReason: string | null;
  /** Sum of the attempts' durations. */
  durationMs: number;
  /** The step's timeout (its SLO) from the pinned plan, or the run's; null when unbounded. */
  timeoutMs: number | null;
  /** An attempt timed out or ran longer than `timeoutMs`. */
  sloBreached: boolean;
}

/** One decision of the policy gate on a step attempt. */
export interface PolicyEntry {
  stepId: string;
  attempt: number;
  decision: 'allow' | 'deny' | 'approval_required';
  reasons: string[];
  rule: string | null;
  grant: string | null;
  approvalId: string | null;
  /** The succeeded dry run (run id) a required-dry-run check relied on. */
  dryRunProof: string | null;
  /** What the allowed step (`gateId` null) and its gates run: argv[0], its real path, its sha256. */
  programs: { gateId: string | null; program: string; path: string; sha256: string | null }[];
  at: number;
}

/** One human approval a run asked for, and its answer. */
export interface ApprovalEntry {
  approvalId: string;
  stepId: string;
  attempt: number;
  status: 'pending' | 'granted' | 'denied';
  reason: string;
  requestedAt: number;
  decidedAt: number | null;
  by: string | null;
  comment: string | null;
}

/**
 * `run_receipt.json`: everything a person or a tool needs to know about one run, folded from
 * its stream. Missing facts are `null`, never absent, so the shape is stable. Written to
 * `.lily/runs/<job>/<ts>-<runId>/run_receipt.json` and printed by `lily jobs run --json`.
 *
 * @example
 * const receipt = JSON.parse(readFileSync(file, 'utf8')) as RunReceipt;
 * if (receipt.status === 'succeeded') console.log(receipt.envelope?.payload);
 */
export interface RunReceipt {
  schema: typeof RECEIPT_SCHEMA;
  runId: string | null;
  jobId: string | null;
  status: RunStatus;
  blueprint: { id: string; version: string } | null;
  planHash: string | null;
  inputHash: string | null;
  kernelVersion: string | null;
  /** The pinned environment and its fingerprint (sha256 of its canonical JSON). */
  env: { fingerprint: string; vars: Record<string, string> } | null;
  dryRun: boolean | null;
  principal: string | null;
  trigger: JsonObject | null;
  input: JsonObject | null;
  parent: { runId: string; fromStep: string | null; gatesOnly: boolean } | null;
  timestamps: {
    requestedAt: number | null;
    startedAt: number | null;
    completedAt: number | null;
    durationMs: number | null;
  };
  steps: StepReceipt[];
  /** Step timeouts (SLOs) from the pinned plan: step id -> ms; each step's `sloBreached` is judged on them. */
  slos: Record<string, number>;
  artifacts: ArtifactRef[];
  policy: PolicyEntry[];
  approvals: ApprovalEntry[];
  cancel: { by: string; reason: string | null; at: number } | null;
  error: ErrorInfo | null;
  envelope: BlueprintRunEnvelope | null;
  log: {
    stream: string | null;
    events: number;
    firstPos: number | null;
    lastPos: number | null;
    lastSeq: number;
  };
}
