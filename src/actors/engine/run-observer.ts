import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { LogFields } from '../../contracts/logger.js';
import type { RunSlot } from './run-slot.js';

/** Where the trace context of a dispatch comes from (the outbox asks it for every exec item it sends). */
export interface TraceContextSource {
  /** The W3C `traceparent` a dispatch of the run carries; undefined: none. */
  traceparent(runId: RunId, dispatchId: string): string | undefined;
}

/**
 * Port: watches what the run host reads and appends (tracing: `RunTracer`). Optional in a
 * composition; without one the host does nothing more than before. Called synchronously, after
 * the events are durable and before the commands they record are published; an observer never
 * throws and never changes what the host decides.
 */
export interface RunObserver extends TraceContextSource {
  /** A run's stream was read from the log (its first fact, a restart, a reload after a conflict). */
  loaded(slot: RunSlot, events: readonly StoredEvent[]): void;
  /** Events the host appended to a run's stream (durable), with the slot as it is after them. */
  appended(slot: RunSlot, events: readonly StoredEvent[]): void;
  /** Fields every entry the host logs about a run carries (`trace_id`, `span_id`). */
  logFields(runId: RunId): LogFields;
}
