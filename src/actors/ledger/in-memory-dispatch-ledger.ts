import type { Clock } from '../../contracts/clock.js';
import { decideClaim, heartbeatStale, holds } from './claim-decision.js';
import type { DispatchLedger, DispatchOwner, LedgerEntry } from './dispatch-ledger.js';

/** The entries several in-memory ledgers share (one per simulated deployment). */
export type InMemoryLedgerEntries = Map<string, LedgerEntry>;

/**
 * The in-memory dispatch ledger, for tests and single-process compositions: entries in a Map
 * (share `entries` between ledgers to stand for several workers), owners stale by heartbeat age
 * like the NATS KV adapter. Every operation is synchronous under the hood, hence atomic.
 *
 * @example
 * const entries = new Map();
 * const a = createInMemoryDispatchLedger({ entries, owner: ownerA, clock, staleAfterMs: 30_000 });
 * const b = createInMemoryDispatchLedger({ entries, owner: ownerB, clock, staleAfterMs: 30_000 });
 */
export const createInMemoryDispatchLedger = (o: {
  owner: DispatchOwner;
  clock: Clock;
  entries?: InMemoryLedgerEntries;
  /** Default 30 s. */
  staleAfterMs?: number;
}): DispatchLedger => {
  const entries = o.entries ?? new Map<string, LedgerEntry>();
  const isStale = heartbeatStale(o.staleAfterMs ?? 30_000);
  const held = new Set<string>();
  const { owner, clock } = o;
  return {
    owner,
    async claim(dispatchId, { retakeStale }) {
      const entry = entries.get(dispatchId);
      const now = clock.now();
      const ownerStale = entry?.status === 'running' && isStale(entry, now);
      const decision = decideClaim(entry, { owner, now, retakeStale, ownerStale });
      if (decision.kind !== 'write') return decision;
      entries.set(dispatchId, decision.entry);
      held.add(dispatchId);
      return { kind: 'claimed' };
    },
    async complete(dispatchId, replies) {
      held.delete(dispatchId);
      if (entries.get(dispatchId)?.status !== 'done') entries.set(dispatchId, { status: 'done', replies });
    },
    async heartbeat() {
      const lost: string[] = [];
      for (const dispatchId of [...held]) {
        const entry = entries.get(dispatchId);
        if (holds(entry, owner)) entries.set(dispatchId, { ...entry, heartbeatAt: clock.now() });
        else {
          held.delete(dispatchId);
          lost.push(dispatchId);
        }
      }
      return { lost };
    },
  };
};
