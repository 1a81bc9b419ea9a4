import type { EventType } from './catalog.js';

/** Who caused an event and which conversation it belongs to. */
export interface EventMeta {
  /** Id of the event or message that caused this one. */
  causationId?: string;
  /** Id shared by everything in one run (the run id) or one request. */
  correlationId?: string;
  /** The actor that wrote it: `engine/run-host`, `worker/<id>`, `cli`, ... */
  producer: string;
}

/** An event as an appender hands it to the store. */
export interface NewEvent<T extends string = EventType> {
  /** Unique per stream: re-appending the same id is a no-op (idempotent retries). */
  id: string;
  type: T;
  /** Epoch milliseconds, taken from the Clock port by the appender, never inside a machine. */
  at: number;
  data: unknown;
  meta: EventMeta;
}

/** An event as the log holds it. */
export interface StoredEvent<T extends string = EventType> extends NewEvent<T> {
  stream: string;
  /** 1-based position within the stream. */
  seq: number;
  /** 1-based global position across all streams of the store. */
  pos: number;
}
