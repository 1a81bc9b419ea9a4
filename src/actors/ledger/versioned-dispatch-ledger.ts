import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { VersionedRecords } from '../../eventstore/versioned-records.js';
import { decideClaim, holds } from './claim-decision.js';
import type { DispatchLedger, DispatchOwner, LedgerEntry, RunningEntry } from './dispatch-ledger.js';

export interface VersionedDispatchLedgerOptions {
  records: VersionedRecords<LedgerEntry>;
  owner: DispatchOwner;
  clock: Clock;
  /** Whether a running entry's owner is stale at `now` (the adapter's liveness rule). */
  isStale: (entry: RunningEntry, now: number) => boolean;
}

/** Compare-and-set rounds before giving up: each lost round means another writer made progress. */
const MAX_ROUNDS = 16;

const contended = (dispatchId: string): LilyError =>
  new LilyError('internal_error', `dispatch ledger entry ${dispatchId} kept changing under compare-and-set`, {
    dispatchId,
    rounds: MAX_ROUNDS,
  });

/**
 * The dispatch ledger over any compare-and-set record table: read the entry and its revision,
 * decide (`decideClaim`), write only if the revision is unchanged, else read again. The LMDB
 * adapter runs it over the project's LMDB environment; a NATS KV bucket has the same shape.
 */
export const createVersionedDispatchLedger = (o: VersionedDispatchLedgerOptions): DispatchLedger => {
  const { records, owner, clock } = o;
  /** Claims this ledger made and has not completed: what `heartbeat` refreshes. */
  const held = new Set<string>();
  return {
    owner,
    async claim(dispatchId, { retakeStale }) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const current = await records.get(dispatchId);
        const now = clock.now();
        const entry = current?.value;
        const ownerStale = entry?.status === 'running' && o.isStale(entry, now);
        const decision = decideClaim(entry, { owner, now, retakeStale, ownerStale });
        if (decision.kind !== 'write') return decision;
        const written = await records.compareAndSet(dispatchId, decision.entry, current?.revision ?? 0);
        if (written !== undefined) {
          held.add(dispatchId);
          return { kind: 'claimed' };
        }
      }
      throw contended(dispatchId);
    },
    async complete(dispatchId, replies) {
      held.delete(dispatchId);
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const current = await records.get(dispatchId);
        if (current?.value.status === 'done') return;
        const done: LedgerEntry = { status: 'done', replies };
        if ((await records.compareAndSet(dispatchId, done, current?.revision ?? 0)) !== undefined) return;
      }
      throw contended(dispatchId);
    },
    async heartbeat() {
      const lost: string[] = [];
      for (const dispatchId of [...held]) {
        const current = await records.get(dispatchId);
        const entry = current?.value;
        const refreshed =
          current !== undefined &&
          holds(entry, owner) &&
          (await records.compareAndSet(
            dispatchId,
            { ...entry, heartbeatAt: clock.now() },
            current.revision,
          )) !== undefined;
        // A lost compare-and-set is a writer racing this heartbeat: the next one looks again.
        if (!refreshed && !holds((await records.get(dispatchId))?.value, owner)) {
          held.delete(dispatchId);
          lost.push(dispatchId);
        }
      }
      return { lost };
    },
  };
};
