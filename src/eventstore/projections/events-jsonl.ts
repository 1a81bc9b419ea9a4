import { canonicalJson } from '../../contracts/canonical-json.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';

/** `events.jsonl`: the stream as stored, one canonical JSON event per line, in log order. */
export const renderEventsJsonl = (events: readonly StoredEvent[]): string =>
  events.map((e) => `${canonicalJson(e)}\n`).join('');
