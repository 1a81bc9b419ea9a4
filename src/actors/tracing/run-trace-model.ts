import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { SpanAttributes, SpanContext, SpanKind, SpanStatus } from '../../contracts/tracing.js';
import type { RunState, StepStatus } from '../../machines/types.js';
import { partitionDispatchId } from '../worker/dispatch-request.js';
import { ROOT_KEY, runSpanId, runTraceId } from './trace-ids.js';

/**
 * A run's trace as a fold of its log: which spans the events open, annotate and close. Pure
 * and deterministic (no clock, no I/O, no randomness): span times are the events' `at`, span
 * identities are keys derived from the ids in the log (`runSpanId(runId, key)`), so folding the
 * same events always yields the same operations. `RunTracer` applies them to a `Tracer`.
 *
 * Spans: the run (root, `run.requested` to `run.completed`); one per step attempt or shard
 * (`step.dispatched` to `step.succeeded` / `failed` / `timed_out` / `indeterminate`; key: the
 * dispatch id); per gate (`gate.dispatched` to `gate.passed` / `failed`); per partition
 * (`partition.requested` until the step's shards are all settled; shards are its children); per
 * policy check and per approval wait; per retry backoff (`step.retry_scheduled` to the next
 * dispatch). Spans still open when the run completes end with it, status unset.
 */

/** A span as the model knows it: enough to start it at any later time with the same identity. */
export interface SpanRecord {
  readonly key: string;
  readonly name: string;
  /** The key of the parent span; undefined for the run's root span. */
  readonly parentKey: string | undefined;
  /** Epoch ms: the `at` of the event that opened it. */
  readonly start: number;
  /** `producer` for a dispatch (a worker's span is its child), else `internal`. */
  readonly kind: SpanKind;
  readonly attributes: SpanAttributes;
}

export type SpanOp =
  | { readonly op: 'start'; readonly span: SpanRecord }
  | { readonly op: 'attributes'; readonly key: string; readonly attributes: SpanAttributes }
  | { readonly op: 'link'; readonly key: string; readonly context: SpanContext }
  | {
      readonly op: 'event';
      readonly key: string;
      readonly name: string;
      readonly time: number;
      readonly attributes?: SpanAttributes;
    }
  | {
      readonly op: 'end';
      readonly key: string;
      readonly time: number;
      readonly status: SpanStatus;
      readonly attributes?: SpanAttributes;
    };

/** The fold's state for one run (mutated by `traceEvent` and `settleTrace`). */
export interface RunTrace {
  readonly runId: string;
  readonly traceId: string;
  jobId: string;
  /** Spans started and not ended, by key, in start order. */
  readonly open: Map<string, SpanRecord>;
  /** The open partition span of each partitioned step id. */
  readonly partitions: Map<string, string>;
  /** The open backoff span of each `<stepId>/<shard>`. */
  readonly backoffs: Map<string, string>;
  /** The seq of the last event folded (0: none). */
  seq: number;
  rootStarted: boolean;
  /** run.completed folded: every span has ended. */
  done: boolean;
}

export const newRunTrace = (runId: string): RunTrace => ({
  runId,
  traceId: runTraceId(runId),
  jobId: '',
  open: new Map(),
  partitions: new Map(),
  backoffs: new Map(),
  seq: 0,
  rootStarted: false,
  done: false,
});

const OK: SpanStatus = { code: 'ok' };
const UNSET: SpanStatus = { code: 'unset' };
const error = (message: string): SpanStatus => ({ code: 'error', message });

/** Ops of one event, collected while the model is updated. */
class Ops {
  readonly list: SpanOp[] = [];
  constructor(
    readonly t: RunTrace,
    readonly at: number,
  ) {}

  start(
    key: string,
    name: string,
    parentKey: string | undefined,
    attributes: SpanAttributes,
    kind: SpanKind = 'internal',
  ): void {
    if (this.t.open.has(key)) return;
    const span: SpanRecord = {
      key,
      name,
      parentKey,
      start: this.at,
      kind,
      attributes: { 'lily.run_id': this.t.runId, 'lily.job_id': this.t.jobId || undefined, ...attributes },
    };
    this.t.open.set(key, span);
    this.list.push({ op: 'start', span });
  }

  end(key: string, status: SpanStatus, attributes?: SpanAttributes): boolean {
    if (!this.t.open.delete(key)) return false;
    this.list.push({ op: 'end', key, time: this.at, status, ...(attributes ? { attributes } : {}) });
    return true;
  }

  event(key: string, name: string, attributes?: SpanAttributes): void {
    if (!this.t.open.has(key)) return;
    this.list.push({ op: 'event', key, name, time: this.at, ...(attributes ? { attributes } : {}) });
  }

  attributes(key: string, attributes: SpanAttributes): void {
    if (this.t.open.has(key)) this.list.push({ op: 'attributes', key, attributes });
  }
}

const ensureRoot = (o: Ops, attributes: SpanAttributes = {}): void => {
  if (o.t.rootStarted) return;
  o.t.rootStarted = true;
  o.start(ROOT_KEY, `run ${o.t.jobId}`.trimEnd(), undefined, attributes);
};

const runStarted = (o: Ops, d: EventData<'run.started'>): void => {
  o.t.jobId ||= d.jobId;
  ensureRoot(o);
  o.attributes(ROOT_KEY, {
    'lily.blueprint': `${d.blueprint.id}@${d.blueprint.version}`,
    'lily.plan_hash': d.planHash,
    'lily.kernel_version': d.kernelVersion,
    'lily.dry_run': d.dryRun,
    'lily.principal': d.principal,
    'lily.parent_run_id': d.parent?.runId,
    'lily.from_step': d.parent?.fromStep,
  });
  if (d.parent) {
    const parent = d.parent.runId;
    o.list.push({
      op: 'link',
      key: ROOT_KEY,
      context: { traceId: runTraceId(parent), spanId: runSpanId(parent, ROOT_KEY), sampled: true },
    });
  }
};

/** The span a dispatch's step span hangs under: its partition (shards), else the run. */
const stepParent = (t: RunTrace, stepId: string, shard: string | undefined): string =>
  shard === undefined ? ROOT_KEY : (t.partitions.get(stepId) ?? ROOT_KEY);

const stepDispatched = (o: Ops, d: EventData<'step.dispatched'>): void => {
  const backoff = `${d.stepId}/${d.shard ?? ''}`;
  const open = o.t.backoffs.get(backoff);
  if (open !== undefined) {
    o.t.backoffs.delete(backoff);
    o.end(open, OK);
  }
  o.start(
    d.dispatchId,
    `step ${d.stepId}`,
    stepParent(o.t, d.stepId, d.shard),
    {
      'lily.step_id': d.stepId,
      'lily.attempt': d.attempt,
      'lily.dispatch_id': d.dispatchId,
      'lily.executor': d.executor,
      'lily.shard': d.shard,
      'lily.idempotent': d.idempotent,
      'lily.timeout_ms': d.timeoutMs,
    },
    'producer',
  );
};

/**
 * A step's answer. It normally closes the dispatch's span; an answer to a dispatch whose span
 * already ended (an operator resolving an indeterminate step) is a span of its own.
 */
const stepAnswered = (
  o: Ops,
  d: { dispatchId: string; stepId: string; attempt: number },
  outcome: string,
  status: SpanStatus,
  attributes: SpanAttributes = {},
): void => {
  const attrs = { 'lily.outcome': outcome, ...attributes };
  if (o.end(d.dispatchId, status, attrs)) {
    for (const [stepId, key] of o.t.partitions) {
      if (key === d.dispatchId) o.t.partitions.delete(stepId);
    }
    return;
  }
  const key = `resolved:${d.dispatchId}/${outcome}`;
  o.start(key, `step ${d.stepId} resolved`, ROOT_KEY, {
    'lily.step_id': d.stepId,
    'lily.attempt': d.attempt,
    'lily.dispatch_id': d.dispatchId,
  });
  o.end(key, status, attrs);
};

const retryScheduled = (o: Ops, d: EventData<'step.retry_scheduled'>): void => {
  const key = `backoff:${d.stepId}/${d.attempt}${d.shard === undefined ? '' : `/${d.shard}`}`;
  o.t.backoffs.set(`${d.stepId}/${d.shard ?? ''}`, key);
  o.start(key, `backoff ${d.stepId}`, stepParent(o.t, d.stepId, d.shard), {
    'lily.step_id': d.stepId,
    'lily.attempt': d.attempt,
    'lily.next_attempt': d.nextAttempt,
    'lily.delay_ms': d.delayMs,
    'lily.shard': d.shard,
  });
};

const partitionRequested = (o: Ops, d: EventData<'partition.requested'>): void => {
  const previous = o.t.partitions.get(d.stepId);
  if (previous !== undefined) o.end(previous, UNSET, { 'lily.outcome': 'superseded' });
  const key = partitionDispatchId(o.t.runId, d.stepId, d.attempt);
  o.t.partitions.set(d.stepId, key);
  o.start(
    key,
    `partition ${d.stepId}`,
    ROOT_KEY,
    {
      'lily.step_id': d.stepId,
      'lily.attempt': d.attempt,
      'lily.dispatch_id': key,
      'lily.partitioner': d.partitioner,
    },
    'producer',
  );
};

const runCompleted = (o: Ops, d: EventData<'run.completed'>): void => {
  ensureRoot(o);
  const others = [...o.t.open.keys()].filter((k) => k !== ROOT_KEY).reverse();
  for (const key of others) o.end(key, UNSET, { 'lily.outcome': `run ${d.status}` });
  o.t.partitions.clear();
  o.t.backoffs.clear();
  const status =
    d.status === 'succeeded' ? OK : d.status === 'failed' ? error(d.error?.message ?? 'run failed') : UNSET;
  o.end(ROOT_KEY, status, { 'lily.outcome': d.status, 'lily.error_code': d.error?.code });
  o.t.done = true;
};

type Handler = (o: Ops, data: never) => void;

/** What each event type does to the trace; types not listed change nothing. */
const HANDLERS: Partial<Record<string, Handler>> = {
  'run.requested': (o, d: EventData<'run.requested'>) => {
    o.t.jobId ||= d.jobId;
    ensureRoot(o, {
      'lily.trigger': d.trigger.kind,
      'lily.dry_run': d.dryRun,
      'lily.principal': d.principal,
    });
  },
  'run.started': runStarted,
  'policy.requested': (o, d: EventData<'policy.requested'>) =>
    o.start(`policy:${d.stepId}/${d.attempt}`, `policy ${d.stepId}`, ROOT_KEY, {
      'lily.step_id': d.stepId,
      'lily.attempt': d.attempt,
      'lily.executor': d.executor,
    }),
  'policy.decided': (o, d: EventData<'policy.decided'>) => {
    const status = d.decision === 'deny' ? error(d.reasons.join('; ') || 'denied by policy') : OK;
    o.end(`policy:${d.stepId}/${d.attempt}`, status, { 'lily.decision': d.decision, 'lily.rule': d.rule });
  },
  'approval.requested': (o, d: EventData<'approval.requested'>) =>
    o.start(`approval:${d.approvalId}`, `approval ${d.stepId}`, ROOT_KEY, {
      'lily.step_id': d.stepId,
      'lily.attempt': d.attempt,
      'lily.approval_id': d.approvalId,
      'lily.reason': d.reason,
    }),
  'approval.granted': (o, d: EventData<'approval.granted'>) =>
    o.end(`approval:${d.approvalId}`, OK, { 'lily.outcome': 'granted', 'lily.approved_by': d.by }),
  'approval.denied': (o, d: EventData<'approval.denied'>) =>
    o.end(`approval:${d.approvalId}`, error(`denied by ${d.by}: ${d.reason}`), {
      'lily.outcome': 'denied',
      'lily.approved_by': d.by,
    }),
  'partition.requested': partitionRequested,
  'partition.planned': (o, d: EventData<'partition.planned'>) =>
    o.event(partitionDispatchId(o.t.runId, d.stepId, d.attempt), 'partition.planned', {
      'lily.shards': d.shards.length,
    }),
  'step.dispatched': stepDispatched,
  'step.started': (o, d: EventData<'step.started'>) => {
    o.event(d.dispatchId, 'step.started', { 'lily.worker': d.worker });
    o.attributes(d.dispatchId, { 'lily.worker': d.worker });
  },
  'step.succeeded': (o, d: EventData<'step.succeeded'>) =>
    stepAnswered(o, d, 'succeeded', OK, { 'lily.duration_ms': d.durationMs }),
  'step.failed': (o, d: EventData<'step.failed'>) =>
    stepAnswered(o, d, 'failed', error(d.error.message), {
      'lily.error_code': d.error.code,
      'lily.retryable': d.retryable,
    }),
  'step.timed_out': (o, d: EventData<'step.timed_out'>) =>
    stepAnswered(o, d, 'timed_out', error(`timed out after ${d.timeoutMs} ms`)),
  'step.indeterminate': (o, d: EventData<'step.indeterminate'>) =>
    stepAnswered(o, d, 'indeterminate', UNSET, { 'lily.reason': d.reason }),
  'step.retry_scheduled': retryScheduled,
  'step.skipped': (o, d: EventData<'step.skipped'>) =>
    o.event(ROOT_KEY, 'step.skipped', { 'lily.step_id': d.stepId, 'lily.reason': d.reason }),
  'gate.dispatched': (o, d: EventData<'gate.dispatched'>) =>
    o.start(
      d.dispatchId,
      `gate ${d.stepId}/${d.gateId}`,
      ROOT_KEY,
      {
        'lily.step_id': d.stepId,
        'lily.attempt': d.attempt,
        'lily.dispatch_id': d.dispatchId,
        'lily.gate_id': d.gateId,
        'lily.executor': d.executor,
      },
      'producer',
    ),
  'gate.passed': (o, d: EventData<'gate.passed'>) => o.end(d.dispatchId, OK, { 'lily.outcome': 'passed' }),
  'gate.failed': (o, d: EventData<'gate.failed'>) =>
    o.end(d.dispatchId, error(d.error.message), {
      'lily.outcome': 'failed',
      'lily.required': d.required,
      'lily.error_code': d.error.code,
    }),
  'run.cancel_requested': (o, d: EventData<'run.cancel_requested'>) =>
    o.event(ROOT_KEY, 'run.cancel_requested', { 'lily.by': d.by, 'lily.reason': d.reason }),
  'run.completed': runCompleted,
};

/**
 * Folds one event of the run's stream into its trace and returns the span operations it
 * causes. Events at or before the last folded `seq` (a re-read) and events after the run
 * completed cause nothing.
 */
export const traceEvent = (t: RunTrace, e: StoredEvent): SpanOp[] => {
  if (e.seq <= t.seq || t.done) return [];
  t.seq = e.seq;
  const handler = HANDLERS[e.type];
  if (!handler) return [];
  const o = new Ops(t, e.at);
  handler(o, e.data as never);
  return o.list;
};

/** A settled partition's span status by its step's status (others, like `cancelled`: unset). */
const PARTITION_STATUS: Readonly<Record<string, (message: string) => SpanStatus>> = {
  succeeded: () => OK,
  gating: () => OK,
  failed: error,
};

/** Statuses in which a partitioned step's shards are still being planned or run. */
const PARTITION_BUSY: ReadonlySet<StepStatus> = new Set(['partitioning', 'dispatched', 'indeterminate']);

/**
 * Ends the spans of partitions whose step is no longer busy in `state` (the run's state after
 * the events folded so far): the machine fans shards in without an event of its own, so the
 * end of a partition is read from the state (status `ok` when its shards succeeded, `error`
 * when the step failed, `unset` otherwise). Apply it before folding `run.completed`, which
 * ends whatever is still open. `at`: the time of the last event folded.
 */
export const settleTrace = (t: RunTrace, state: RunState | undefined, at: number): SpanOp[] => {
  if (t.partitions.size === 0 || !state) return [];
  const o = new Ops(t, at);
  for (const [stepId, key] of t.partitions) {
    const step = state.steps[stepId];
    if (step && PARTITION_BUSY.has(step.status)) continue;
    t.partitions.delete(stepId);
    const status = step?.status ?? 'unknown';
    o.end(key, PARTITION_STATUS[status]?.(step?.error?.message ?? `${stepId} failed`) ?? UNSET, {
      'lily.outcome': status,
    });
  }
  return o.list;
};
