import { hashJson } from '../../contracts/canonical-json.js';
import type { EventData, EventType } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { ArtifactRef, ErrorInfo } from '../../contracts/events/shared-schemas.js';
import type { JsonObject } from '../../contracts/json.js';
import type { AttemptReceipt, RunReceipt, StepReceipt } from './receipt-types.js';
import { RECEIPT_SCHEMA } from './receipt-types.js';

/** The fold's state is the receipt itself: plain JSON, so a snapshot is just a copy of it. */
export type ReceiptState = RunReceipt;

export const initialReceiptState = (): ReceiptState => ({
  schema: RECEIPT_SCHEMA,
  runId: null,
  jobId: null,
  status: 'unknown',
  blueprint: null,
  planHash: null,
  inputHash: null,
  kernelVersion: null,
  env: null,
  dryRun: null,
  principal: null,
  trigger: null,
  input: null,
  parent: null,
  timestamps: { requestedAt: null, startedAt: null, completedAt: null, durationMs: null },
  steps: [],
  slos: {},
  artifacts: [],
  policy: [],
  approvals: [],
  cancel: null,
  error: null,
  envelope: null,
  log: { stream: null, events: 0, firstPos: null, lastPos: null, lastSeq: 0 },
});

const stepOf = (r: ReceiptState, stepId: string): StepReceipt => {
  let step = r.steps.find((s) => s.stepId === stepId);
  if (!step) {
    step = {
      stepId,
      status: 'pending',
      attempts: [],
      gates: [],
      partition: null,
      skipReason: null,
      durationMs: 0,
      timeoutMs: r.slos[stepId] ?? null,
      sloBreached: false,
    };
    r.steps.push(step);
  }
  return step;
};

type DispatchRef = { stepId: string; attempt: number; dispatchId: string; shard?: string };

const attemptOf = (r: ReceiptState, d: DispatchRef): AttemptReceipt => {
  const step = stepOf(r, d.stepId);
  let a = step.attempts.find((x) => x.dispatchId === d.dispatchId);
  if (!a) {
    a = {
      attempt: d.attempt,
      dispatchId: d.dispatchId,
      shard: d.shard ?? null,
      executor: null,
      worker: null,
      host: null,
      env: null,
      dispatchedAt: null,
      startedAt: null,
      endedAt: null,
      endReason: null,
      cancelRequestedAt: null,
      durationMs: null,
      outcome: 'dispatched',
      retryable: null,
      error: null,
      artifacts: [],
      truncated: [],
    };
    step.attempts.push(a);
  }
  return a;
};

const addArtifact = (r: ReceiptState, ref: ArtifactRef): void => {
  if (!r.artifacts.some((x) => x.sha256 === ref.sha256 && x.name === ref.name)) r.artifacts.push(ref);
};

/** What a worker's fact says about how the work ended (absent in logs older than these fields). */
type Ended = { endedAt?: number; endReason?: string; truncated?: string[] };

const finishAttempt = (
  r: ReceiptState,
  d: DispatchRef & Ended,
  at: number,
  outcome: AttemptReceipt['outcome'],
  extra: { durationMs?: number; error?: ErrorInfo; retryable?: boolean } = {},
): AttemptReceipt => {
  const a = attemptOf(r, d);
  a.outcome = outcome;
  a.endedAt = d.endedAt ?? at;
  if (d.endReason !== undefined) a.endReason = d.endReason;
  if (d.truncated !== undefined) a.truncated = d.truncated;
  a.durationMs = extra.durationMs ?? (a.startedAt !== null ? at - a.startedAt : null);
  if (extra.error) a.error = extra.error;
  if (extra.retryable !== undefined) a.retryable = extra.retryable;
  const step = stepOf(r, d.stepId);
  step.status = outcome;
  step.durationMs = step.attempts.reduce((n, x) => n + (x.durationMs ?? 0), 0);
  const slo = step.timeoutMs;
  if (outcome === 'timed_out' || (slo !== null && a.durationMs !== null && a.durationMs > slo))
    step.sloBreached = true;
  return a;
};

/** Each step's timeout from the pinned plan (the step's, else the run's): its SLO. */
const recordSlos = (r: ReceiptState, plan: JsonObject): void => {
  const runTimeout = typeof plan.timeoutMs === 'number' ? plan.timeoutMs : undefined;
  const steps = Array.isArray(plan.steps) ? plan.steps : [];
  for (const s of steps) {
    if (s === null || typeof s !== 'object' || Array.isArray(s) || typeof s.id !== 'string') continue;
    const timeout = typeof s.timeoutMs === 'number' ? s.timeoutMs : runTimeout;
    if (timeout === undefined) continue;
    r.slos[s.id] = timeout;
    const known = r.steps.find((x) => x.stepId === s.id);
    if (known) known.timeoutMs = timeout;
  }
};

type Handler<T extends EventType> = (r: ReceiptState, data: EventData<T>, e: StoredEvent) => void;
type Handlers = { [T in EventType]?: Handler<T> };

const runHandlers: Handlers = {
  'run.requested': (r, d, e) => {
    r.runId = d.runId;
    r.jobId = d.jobId;
    r.status = r.status === 'unknown' ? 'requested' : r.status;
    r.trigger = { ...d.trigger } as ReceiptState['trigger'];
    r.input = d.input;
    r.dryRun = d.dryRun;
    r.principal = d.principal;
    r.timestamps.requestedAt = e.at;
  },
  'run.started': (r, d, e) => {
    r.runId = d.runId;
    r.jobId = d.jobId;
    if (r.status === 'unknown' || r.status === 'requested') r.status = 'running';
    r.blueprint = { id: d.blueprint.id, version: d.blueprint.version };
    r.planHash = d.planHash;
    r.inputHash = d.inputHash;
    r.kernelVersion = d.kernelVersion;
    r.env = { fingerprint: hashJson(d.env), vars: d.env };
    r.dryRun = d.dryRun;
    r.principal = d.principal;
    r.input = d.input;
    r.parent = d.parent
      ? { runId: d.parent.runId, fromStep: d.parent.fromStep ?? null, gatesOnly: d.parent.gatesOnly }
      : null;
    r.timestamps.startedAt = e.at;
    recordSlos(r, d.plan);
    for (const memo of Object.values(d.memo ?? {})) for (const ref of memo.artifacts) addArtifact(r, ref);
  },
  'run.forked': (r, d) => {
    r.parent = { runId: d.parentRunId, fromStep: d.fromStep ?? null, gatesOnly: d.gatesOnly };
  },
  'run.cancel_requested': (r, d, e) => {
    r.cancel = { by: d.by, reason: d.reason ?? null, at: e.at };
  },
  'run.completed': (r, d, e) => {
    r.status = d.status;
    r.envelope = d.envelope;
    r.error = d.error ?? null;
    for (const ref of d.envelope.artifacts) addArtifact(r, ref);
    r.timestamps.completedAt = e.at;
    const from = r.timestamps.requestedAt ?? r.timestamps.startedAt;
    r.timestamps.durationMs = from === null ? null : e.at - from;
  },
  'artifact.recorded': (r, d) => addArtifact(r, d.ref),
};

const policyHandlers: Handlers = {
  'policy.decided': (r, d, e) => {
    r.policy.push({
      stepId: d.stepId,
      attempt: d.attempt,
      decision: d.decision,
      reasons: d.reasons,
      rule: d.rule ?? null,
      grant: d.grant ?? null,
      approvalId: d.approvalId ?? null,
      dryRunProof: d.dryRunProof ?? null,
      programs: (d.programs ?? []).map((p) => ({
        gateId: p.gateId ?? null,
        program: p.program,
        path: p.path,
        sha256: p.sha256 ?? null,
      })),
      at: e.at,
    });
    if (d.decision === 'deny') stepOf(r, d.stepId).status = 'denied';
    if (d.decision === 'approval_required') stepOf(r, d.stepId).status = 'awaiting_approval';
  },
  'approval.requested': (r, d, e) => {
    r.approvals.push({
      approvalId: d.approvalId,
      stepId: d.stepId,
      attempt: d.attempt,
      status: 'pending',
      reason: d.reason,
      requestedAt: e.at,
      decidedAt: null,
      by: null,
      comment: null,
    });
    stepOf(r, d.stepId).status = 'awaiting_approval';
  },
  'approval.granted': (r, d, e) => {
    const a = r.approvals.find((x) => x.approvalId === d.approvalId);
    if (a) Object.assign(a, { status: 'granted', decidedAt: e.at, by: d.by, comment: d.comment ?? null });
    stepOf(r, d.stepId).status = 'pending';
  },
  'approval.denied': (r, d, e) => {
    const a = r.approvals.find((x) => x.approvalId === d.approvalId);
    if (a) Object.assign(a, { status: 'denied', decidedAt: e.at, by: d.by, comment: d.reason });
    stepOf(r, d.stepId).status = 'denied';
  },
};

const stepHandlers: Handlers = {
  'step.dispatched': (r, d, e) => {
    const a = attemptOf(r, d);
    a.executor = d.executor;
    a.dispatchedAt = e.at;
    stepOf(r, d.stepId).status = 'dispatched';
  },
  'step.started': (r, d, e) => {
    const a = attemptOf(r, d);
    a.worker = d.worker;
    a.host = d.host ?? null;
    a.env = d.env ?? null;
    a.startedAt = e.at;
    a.outcome = 'running';
    stepOf(r, d.stepId).status = 'running';
  },
  'step.succeeded': (r, d, e) => {
    const a = finishAttempt(r, d, e.at, 'succeeded', { durationMs: d.durationMs });
    a.artifacts = d.artifacts.map((x) => x.sha256);
    for (const ref of d.artifacts) addArtifact(r, ref);
  },
  'step.failed': (r, d, e) => {
    finishAttempt(r, d, e.at, 'failed', { durationMs: d.durationMs, error: d.error, retryable: d.retryable });
  },
  'step.timed_out': (r, d, e) => {
    finishAttempt(r, d, e.at, 'timed_out');
  },
  'step.indeterminate': (r, d, e) => {
    finishAttempt(r, d, e.at, 'indeterminate', {
      error: { code: 'step_indeterminate', message: d.reason, data: {} },
    });
  },
  'step.cancel_requested': (r, d, e) => {
    if (d.gateId !== undefined) {
      const g = stepOf(r, d.stepId).gates.find((x) => x.dispatchId === d.dispatchId);
      if (g?.outcome === 'dispatched') g.outcome = 'cancelling';
      return;
    }
    const a = attemptOf(r, d);
    a.cancelRequestedAt = e.at;
    a.endReason ??= d.reason;
    if (a.outcome === 'dispatched' || a.outcome === 'running') {
      a.outcome = 'cancelling';
      stepOf(r, d.stepId).status = 'cancelling';
    }
  },
  'step.cancelled': (r, d, e) => {
    if (d.gateId !== undefined) {
      const g = stepOf(r, d.stepId).gates.find((x) => x.dispatchId === d.dispatchId);
      if (g) Object.assign(g, { outcome: 'cancelled', error: d.error ?? null, at: d.endedAt });
      return;
    }
    finishAttempt(r, d, e.at, 'cancelled', {
      ...(d.durationMs !== undefined ? { durationMs: d.durationMs } : {}),
      ...(d.error ? { error: d.error } : {}),
    });
  },
  'step.retry_scheduled': (r, d) => {
    stepOf(r, d.stepId).status = 'retry_scheduled';
  },
  'step.skipped': (r, d) => {
    const step = stepOf(r, d.stepId);
    step.status = 'skipped';
    step.skipReason = d.reason;
  },
  'partition.planned': (r, d) => {
    const step = stepOf(r, d.stepId);
    step.partition = { partitioner: d.partitioner, shards: d.shards.map((s) => s.key) };
    step.status = 'partitioned';
  },
  'gate.dispatched': (r, d, e) => {
    stepOf(r, d.stepId).gates.push({
      gateId: d.gateId,
      attempt: d.attempt,
      dispatchId: d.dispatchId,
      executor: d.executor,
      outcome: 'dispatched',
      required: null,
      error: null,
      skipReason: null,
      at: e.at,
    });
  },
  'gate.skipped': (r, d, e) => {
    stepOf(r, d.stepId).gates.push({
      gateId: d.gateId,
      attempt: d.attempt,
      dispatchId: d.dispatchId,
      executor: d.executor,
      outcome: 'skipped',
      required: null,
      error: null,
      skipReason: d.reason,
      at: e.at,
    });
  },
  'gate.passed': (r, d, e) => gateResult(r, d, e.at, 'passed', null, null),
  'gate.failed': (r, d, e) => gateResult(r, d, e.at, 'failed', d.required, d.error),
};

const gateResult = (
  r: ReceiptState,
  d: DispatchRef & { gateId: string },
  at: number,
  outcome: 'passed' | 'failed',
  required: boolean | null,
  error: ErrorInfo | null,
): void => {
  const gates = stepOf(r, d.stepId).gates;
  const g = gates.find((x) => x.dispatchId === d.dispatchId && x.gateId === d.gateId);
  if (g) Object.assign(g, { outcome, required, error, at });
  else
    gates.push({
      gateId: d.gateId,
      attempt: d.attempt,
      dispatchId: d.dispatchId,
      executor: null,
      outcome,
      required,
      error,
      skipReason: null,
      at,
    });
};

const HANDLERS: Handlers = { ...runHandlers, ...policyHandlers, ...stepHandlers };

/**
 * Applies one event to the receipt state, in place (the caller owns the state). Pure: no clock,
 * no I/O; times come from the events. Types without a handler only advance `log`.
 */
export const applyReceiptEvent = (r: ReceiptState, e: StoredEvent): ReceiptState => {
  const handler = HANDLERS[e.type] as Handler<EventType> | undefined;
  handler?.(r, e.data as EventData<EventType>, e);
  r.log.stream ??= e.stream;
  r.log.events += 1;
  r.log.firstPos ??= e.pos;
  r.log.lastPos = e.pos;
  r.log.lastSeq = e.seq;
  return r;
};
