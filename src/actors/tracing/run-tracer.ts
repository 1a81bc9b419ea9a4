import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { LogFields } from '../../contracts/logger.js';
import { formatTraceparent, type Span, type SpanContext, type Tracer } from '../../contracts/tracing.js';
import type { RunObserver } from '../engine/run-observer.js';
import type { RunSlot } from '../engine/run-slot.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { newRunTrace, type RunTrace, type SpanOp, settleTrace, traceEvent } from './run-trace-model.js';
import { runLogContext, runSpanId } from './trace-ids.js';

/** A run being traced: the fold of its log and the spans started for its open records. */
interface LiveTrace {
  readonly model: RunTrace;
  readonly spans: Map<string, Span>;
  /** The root span's sampling decision (children follow it). */
  sampled: boolean;
}

const keyOf = (op: SpanOp): string => (op.op === 'start' ? op.span.key : op.key);

/**
 * The run host's tracing observer: folds what the host appends into each run's trace
 * (`traceEvent`, pure) and turns the resulting operations into spans of a `Tracer`. The log
 * stays the truth: spans are derived from it, with ids derived from its ids, so an engine that
 * restarts mid-run reads the run back (`loaded`) and starts again exactly the spans that were
 * still open, with their original ids and start times; the trace goes on where it was. Spans
 * that ended before the restart were exported by the engine that ended them (an export in
 * flight at a crash is lost, like any telemetry).
 */
export class RunTracer implements RunObserver {
  readonly #tracer: Tracer;
  readonly #log: Logger;
  readonly #runs = new Map<string, LiveTrace>();

  constructor(tracer: Tracer, log: Logger) {
    this.#tracer = tracer;
    this.#log = log;
  }

  /** Runs whose trace is open (for tests and stats). */
  tracing(): number {
    return this.#runs.size;
  }

  loaded(slot: RunSlot, events: readonly StoredEvent[]): void {
    if (this.#runs.has(slot.runId)) {
      this.appended(slot, events);
      return;
    }
    this.#guard(slot.runId, () => {
      const model = newRunTrace(slot.runId);
      const ops: SpanOp[] = [];
      for (const e of events) ops.push(...traceEvent(model, e));
      const last = events.at(-1);
      if (last) ops.push(...settleTrace(model, slot.state, last.at));
      if (model.done) return;
      const live: LiveTrace = { model, spans: new Map(), sampled: true };
      this.#runs.set(slot.runId, live);
      // Only what is still open: whatever ended was exported when it ended.
      this.#apply(
        live,
        ops.filter((op) => model.open.has(keyOf(op))),
      );
    });
  }

  appended(slot: RunSlot, events: readonly StoredEvent[]): void {
    this.#guard(slot.runId, () => {
      let live = this.#runs.get(slot.runId);
      if (!live) {
        live = { model: newRunTrace(slot.runId), spans: new Map(), sampled: true };
        this.#runs.set(slot.runId, live);
      }
      for (const e of events) {
        // The machine fans shards in without an event: partitions settle from the state before the run ends.
        if (e.type === 'run.completed') this.#apply(live, settleTrace(live.model, slot.state, e.at));
        this.#apply(live, traceEvent(live.model, e));
      }
      const last = events.at(-1);
      if (last) this.#apply(live, settleTrace(live.model, slot.state, last.at));
      if (live.model.done) this.#runs.delete(slot.runId);
    });
  }

  traceparent(runId: RunId, dispatchId: string): string | undefined {
    const span = this.#runs.get(runId)?.spans.get(dispatchId);
    return span ? formatTraceparent(span.context) : undefined;
  }

  logFields(runId: RunId): LogFields {
    return runLogContext(runId);
  }

  #guard(runId: RunId, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // Telemetry must never stop a run: the trace of this run is dropped, the run goes on.
      this.#runs.delete(runId);
      this.#log.warn(
        { event: 'tracing.failed', runId, ...runLogContext(runId), error: errorInfo(e) },
        'tracing a run failed; its trace is dropped',
      );
    }
  }

  #parent(live: LiveTrace, key: string): SpanContext {
    return (
      live.spans.get(key)?.context ?? {
        traceId: live.model.traceId,
        spanId: runSpanId(live.model.runId, key),
        sampled: live.sampled,
      }
    );
  }

  #apply(live: LiveTrace, ops: readonly SpanOp[]): void {
    const { spans, model } = live;
    for (const op of ops) {
      switch (op.op) {
        case 'start': {
          const { key, name, parentKey, start, kind, attributes } = op.span;
          const span = this.#tracer.startSpan({
            name,
            ids: { traceId: model.traceId, spanId: runSpanId(model.runId, key) },
            ...(parentKey === undefined ? {} : { parent: this.#parent(live, parentKey) }),
            kind,
            startTime: start,
            attributes,
          });
          if (parentKey === undefined) live.sampled = span.context.sampled;
          spans.set(key, span);
          break;
        }
        case 'attributes':
          spans.get(op.key)?.setAttributes(op.attributes);
          break;
        case 'link':
          spans.get(op.key)?.addLink(op.context);
          break;
        case 'event':
          spans.get(op.key)?.addEvent(op.name, op.attributes, op.time);
          break;
        case 'end': {
          const span = spans.get(op.key);
          if (!span) break;
          if (op.attributes) span.setAttributes(op.attributes);
          span.end(op.status, op.time);
          spans.delete(op.key);
          break;
        }
      }
    }
  }
}
