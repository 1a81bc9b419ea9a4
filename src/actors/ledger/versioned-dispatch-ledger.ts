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

/** A claim this ledger holds: the entry it wrote and the revision that write got. */
interface Held {
  entry: RunningEntry;
  revision: number;
}

/**
 * The dispatch ledger over any compare-and-set record table: write, decide on what is there
 * (`decideClaim`) only when the write lost, write only if the revision is unchanged, else read
 * again. The LMDB adapter runs it over the project's LMDB environment; a NATS KV bucket has the
 * same shape.
 *
 * The common paths cost one write each: a first claim is a create (expected revision 0), and
 * `complete` and `heartbeat` write over the revision of this ledger's own claim; only when one
 * loses (another claimer, a re-sent dispatch, a take-over) is the entry read and decided on. That
 * halves the round trips of a remote store.
 */
export const createVersionedDispatchLedger = (o: VersionedDispatchLedgerOptions): DispatchLedger => {
  const { records, owner, clock } = o;
  /** Claims this ledger made and has not completed: what `heartbeat` refreshes. */
  const held = new Map<string, Held>();
  const running = (now: number): RunningEntry => ({ status: 'running', owner, since: now, heartbeatAt: now });
  return {
    owner,
    async claim(dispatchId, { retakeStale }) {
      // Most dispatches are new: try to create the entry before reading anything.
      const fresh = running(clock.now());
      const created = await records.compareAndSet(dispatchId, fresh, 0);
      if (created !== undefined) {
        held.set(dispatchId, { entry: fresh, revision: created });
        return { kind: 'claimed' };
      }
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const current = await records.get(dispatchId);
        const now = clock.now();
        const entry = current?.value;
        const ownerStale = entry?.status === 'running' && o.isStale(entry, now);
        const decision = decideClaim(entry, { owner, now, retakeStale, ownerStale });
        if (decision.kind !== 'write') return decision;
        const written = await records.compareAndSet(dispatchId, decision.entry, current?.revision ?? 0);
        if (written !== undefined) {
          held.set(dispatchId, { entry: decision.entry, revision: written });
          return { kind: 'claimed' };
        }
      }
      throw contended(dispatchId);
    },
    async complete(dispatchId, replies) {
      const mine = held.get(dispatchId);
      held.delete(dispatchId);
      const done: LedgerEntry = { status: 'done', replies };
      if (mine && (await records.compareAndSet(dispatchId, done, mine.revision)) !== undefined) return;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const current = await records.get(dispatchId);
        if (current?.value.status === 'done') return;
        if ((await records.compareAndSet(dispatchId, done, current?.revision ?? 0)) !== undefined) return;
      }
      throw contended(dispatchId);
    },
    async heartbeat() {
      const lost: string[] = [];
      for (const [dispatchId, mine] of [...held]) {
        const entry = { ...mine.entry, heartbeatAt: clock.now() };
        const revision = await records.compareAndSet(dispatchId, entry, mine.revision);
        if (revision !== undefined) {
          if (held.has(dispatchId)) held.set(dispatchId, { entry, revision });
          continue;
        }
        // Lost: another writer changed the entry. Still ours (our own write's answer was lost,
        // or a complete raced this beat)? Then carry on from what is there; else it was taken.
        const current = await records.get(dispatchId);
        if (current !== undefined && holds(current.value, owner)) {
          if (held.has(dispatchId))
            held.set(dispatchId, { entry: current.value, revision: current.revision });
        } else if (held.delete(dispatchId)) {
          lost.push(dispatchId);
        }
      }
      return { lost };
    },
  };
};
