import { LilyError } from '../contracts/errors.js';
import { isValidatedEventData, validateEventData } from '../contracts/events/catalog.js';
import type { EventMeta, NewEvent, StoredEvent } from '../contracts/events/envelope.js';
import { parseEventId } from '../contracts/ids.js';
import { type AppendResult, checkExpectedVersion, type ExpectedVersion } from './event-store.js';

/** Stream names are opaque to the store but must be printable and bounded (they are LMDB keys). */
const STREAM_NAME = /^[\x21-\x7e]{1,400}$/;

/** True for a stream name the store accepts (1 to 400 printable ASCII characters). */
export const isStreamName = (stream: unknown): stream is string =>
  typeof stream === 'string' && STREAM_NAME.test(stream);

export const assertStreamName = (stream: string): void => {
  if (isStreamName(stream)) return;
  throw new LilyError('id_invalid', `invalid stream name ${JSON.stringify(stream)}`, {
    kind: 'stream',
    value: String(stream),
    rule: '1 to 400 printable ASCII characters',
  });
};

const cleanMeta = (meta: EventMeta): EventMeta => {
  if (typeof meta?.producer !== 'string' || meta.producer.length === 0) {
    throw new LilyError('event_data_invalid', 'event meta.producer must be a non-empty string', {
      field: 'meta.producer',
    });
  }
  const out: EventMeta = { producer: meta.producer };
  if (meta.causationId !== undefined) out.causationId = String(meta.causationId);
  if (meta.correlationId !== undefined) out.correlationId = String(meta.correlationId);
  return out;
};

/**
 * Validates a batch before anything is written: stream name, ids (unique within the batch),
 * times, and each event's data against its type's schema, unless it is that schema's output
 * already (`isValidatedEventData`). Returns the events as they will be stored (the schema's
 * output, so defaults are filled in; meta without undefined fields).
 */
export const prepareBatch = (stream: string, events: readonly NewEvent[]): NewEvent[] => {
  assertStreamName(stream);
  const seen = new Set<string>();
  return events.map((e) => {
    const id = parseEventId(e.id);
    if (seen.has(id)) {
      throw new LilyError('eventstore_batch_invalid', `event id ${id} appears twice in one batch`, {
        stream,
        id,
      });
    }
    seen.add(id);
    if (typeof e.at !== 'number' || !Number.isFinite(e.at)) {
      throw new LilyError('event_data_invalid', `event ${id}: "at" must be a finite number`, {
        id,
        field: 'at',
      });
    }
    // Data the run host already validated (the catalog's own output for this type) is kept.
    const data = isValidatedEventData(e.type, e.data) ? e.data : validateEventData(e.type, e.data);
    return { id, type: e.type, at: e.at, data, meta: cleanMeta(e.meta) };
  });
};

/**
 * The dedupe rule, shared by every adapter. `existing[i]` is the stored event with the id of
 * `batch[i]`, if the stream holds it. All present: the batch is a retry, answer with the stored
 * events. None present: a new batch, checked against the expected version. Some present: refused
 * (`eventstore_batch_invalid`), since writing only the rest would split one atomic batch in two.
 */
export const resolveBatch = (
  stream: string,
  batch: readonly NewEvent[],
  existing: readonly (StoredEvent | undefined)[],
  expected: ExpectedVersion,
  version: number,
): AppendResult | undefined => {
  const present = existing.filter((e): e is StoredEvent => e !== undefined);
  if (batch.length > 0 && present.length === batch.length) {
    return { stream, events: present, version, deduplicated: true };
  }
  if (present.length > 0) {
    throw new LilyError(
      'eventstore_batch_invalid',
      `batch for ${stream} partly repeats events already stored (${present.length} of ${batch.length})`,
      { stream, present: present.map((e) => e.id) },
    );
  }
  checkExpectedVersion(stream, expected, version);
  return undefined;
};

export const storeClosed = (what: string): LilyError =>
  new LilyError('eventstore_unavailable', `${what}: the event store is closed`, { reason: 'closed' });
