import { LilyError } from '../contracts/errors.js';
import type { EventStore } from './event-store.js';

export interface StoreVerification {
  events: number;
  streams: number;
}

const PAGE = 10_000;

const broken = (reason: string, data: Record<string, unknown> = {}): LilyError =>
  new LilyError('eventstore_corrupt', `the event log is inconsistent: ${reason}`, { reason, ...data });

/**
 * Reads the whole log and checks that it hangs together: global positions run 1..last without a
 * gap, every stream's sequence numbers run 1..n, and each stream's head is its last seq. Throws
 * `eventstore_corrupt` `{reason, ...}` naming the first inconsistency; undecodable data is
 * already `eventstore_corrupt` from the store. What `lily doctor` runs.
 */
export const verifyEventStore = async (store: EventStore): Promise<StoreVerification> => {
  const last = await store.lastPosition();
  const seqs = new Map<string, number>();
  let expectedPos = 1;
  for (;;) {
    const page = await store.readAll({ fromPos: expectedPos, limit: PAGE });
    for (const e of page) {
      if (e.pos !== expectedPos) throw broken(`position ${expectedPos} is missing`, { pos: expectedPos });
      const seq = (seqs.get(e.stream) ?? 0) + 1;
      if (e.seq !== seq)
        throw broken(`${e.stream} jumps to seq ${e.seq} after ${seq - 1}`, { stream: e.stream });
      seqs.set(e.stream, seq);
      expectedPos += 1;
    }
    if (page.length < PAGE) break;
  }
  if (expectedPos - 1 !== last) throw broken(`the log ends at ${expectedPos - 1}, its head says ${last}`);
  for (const stream of await store.listStreams()) {
    const head = await store.streamVersion(stream);
    if (head !== (seqs.get(stream) ?? 0)) {
      throw broken(`${stream} has ${seqs.get(stream) ?? 0} events, its head says ${head}`, { stream });
    }
  }
  return { events: expectedPos - 1, streams: seqs.size };
};
