import { parseTraceparent, type Span, type SpanStatus, type Tracer } from '../../contracts/tracing.js';
import type { ExecItem, InboundEvent } from '../messages.js';
import { dispatchIdOf } from '../worker/dispatch-request.js';

/**
 * A worker's span for one dispatch, a child of the engine's span of that dispatch (the item's
 * `traceparent`), so the work done in the worker's process joins the run's trace. Undefined
 * when the item carries no valid trace context (an engine with tracing off decides: the worker
 * traces only what is part of a trace).
 */
export const startDispatchSpan = (tracer: Tracer, item: ExecItem, worker: string): Span | undefined => {
  const parent = parseTraceparent(item.traceparent);
  if (!parent) return undefined;
  const { stepId, attempt } = item.data;
  const common = {
    'lily.run_id': item.runId,
    'lily.job_id': item.jobId,
    'lily.step_id': stepId,
    'lily.attempt': attempt,
    'lily.dispatch_id': dispatchIdOf(item),
    'lily.worker': worker,
  };
  if (item.kind === 'partition') {
    return tracer.startSpan({
      name: `plan partition ${stepId}`,
      parent,
      kind: 'consumer',
      attributes: { ...common, 'lily.partitioner': item.data.partitioner },
    });
  }
  if (item.kind === 'gate') {
    return tracer.startSpan({
      name: `execute gate ${stepId}/${item.data.gateId}`,
      parent,
      kind: 'consumer',
      attributes: { ...common, 'lily.executor': item.data.executor, 'lily.gate_id': item.data.gateId },
    });
  }
  return tracer.startSpan({
    name: `execute ${stepId}`,
    parent,
    kind: 'consumer',
    attributes: { ...common, 'lily.executor': item.data.executor, 'lily.shard': item.data.shard },
  });
};

const OUTCOME: Readonly<Record<string, string>> = {
  'step.succeeded': 'succeeded',
  'gate.passed': 'passed',
  'partition.planned': 'planned',
  'step.failed': 'failed',
  'gate.failed': 'failed',
  'step.indeterminate': 'indeterminate',
};

/**
 * Ends a dispatch's span with what the worker replied: `ok` for a success, `error` with the
 * message for a failure (a refusal included), `unset` for an indeterminate step or no reply at
 * all (`duplicate`: the dispatch runs elsewhere).
 */
export const endDispatchSpan = (span: Span, replies: readonly InboundEvent[] | undefined): void => {
  const last = replies?.at(-1);
  const outcome = last ? (OUTCOME[last.type] ?? last.type) : 'duplicate';
  let status: SpanStatus = { code: 'unset' };
  if (outcome === 'succeeded' || outcome === 'passed' || outcome === 'planned') status = { code: 'ok' };
  else if (outcome === 'failed') {
    const error = (last?.data as { error?: { code?: string; message?: string } } | undefined)?.error;
    span.setAttributes({ 'lily.error_code': error?.code });
    status = { code: 'error', message: error?.message ?? 'failed' };
  }
  span.setAttributes({ 'lily.outcome': outcome });
  span.end(status);
};
