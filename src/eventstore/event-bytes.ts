import type { StoredEvent } from '../contracts/events/envelope.js';

/**
 * A stored event's bytes: its JSON (UTF-8), which is both what the LMDB log stores and what the
 * outbox publishes on its `evt` subject, so an event is encoded once (decision 036). The bytes of
 * an event the store has just written are kept with the event object (weakly: they go with it),
 * for the outbox to publish as they are, once.
 */
const written = new WeakMap<StoredEvent, Buffer>();

/** The first byte of every event stored as JSON (`{`); a msgpack-encoded event never starts so. */
const JSON_OBJECT = 0x7b;

/** `e` as the log stores it: its JSON, UTF-8 (nothing kept). */
export const storedEventJson = (e: StoredEvent): Buffer => Buffer.from(JSON.stringify(e), 'utf8');

/** Encodes `e` as the log stores it and remembers the bytes for `storedEventBytes`. */
export const encodeStoredEvent = (e: StoredEvent): Buffer => {
  const bytes = storedEventJson(e);
  written.set(e, bytes);
  return bytes;
};

/**
 * The JSON bytes of `e`: the very bytes the store wrote when it wrote this object (handed out
 * once, then forgotten: nothing holds them past the publish), else encoded now.
 */
export const storedEventBytes = (e: StoredEvent): Buffer => {
  const bytes = written.get(e);
  if (bytes === undefined) return storedEventJson(e);
  written.delete(e);
  return bytes;
};

/** True for bytes stored as JSON; false for an event written as msgpack (before decision 036). */
export const isJsonEvent = (raw: Uint8Array): boolean => raw[0] === JSON_OBJECT;

/**
 * Decodes an event stored as JSON (throws a SyntaxError on bytes that are not JSON). Its `length`
 * is the value's: lmdb-js reads into a shared buffer whose `length` it sets to the value's size.
 */
export const decodeJsonEvent = (raw: Uint8Array): unknown =>
  JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8'));
