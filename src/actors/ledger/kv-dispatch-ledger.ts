import type { KV } from '@nats-io/kv';
import type { Clock } from '../../contracts/clock.js';
import { kvVersionedRecords } from '../../eventstore/jetstream/kv-records.js';
import { heartbeatStale } from './claim-decision.js';
import type { DispatchLedger, DispatchOwner, LedgerEntry } from './dispatch-ledger.js';
import { createVersionedDispatchLedger } from './versioned-dispatch-ledger.js';

/** A claim whose owner has not refreshed it for this long is stale (3 missed 10 s heartbeats). */
export const KV_STALE_AFTER_MS = 30_000;

export interface KvDispatchLedgerOptions {
  /** The namespace's ledger bucket (`lily-<ns>-ledger`, see eventstore/jetstream/buckets.ts). */
  kv: KV;
  owner: DispatchOwner;
  clock: Clock;
  /** Default `KV_STALE_AFTER_MS`. */
  staleAfterMs?: number;
  /** How long a KV operation retries transient failures (a node failing over); default 30 s. */
  retryWithinMs?: number;
}

/**
 * The dispatch ledger on NATS JetStream KV, for workers anywhere (design.md §9): one key per
 * dispatch id, written by compare-and-set on its revision (`kvVersionedRecords`), so among
 * workers on any machines exactly one claims a dispatch. An owner is stale once its last
 * heartbeat is older than `staleAfterMs` by the claimer's clock (there is no pid to test across
 * machines); only then, and only for idempotent work, is its claim taken over. Clocks that
 * disagree by more than `staleAfterMs - heartbeat interval` (20 s by default) could take over
 * a live claim: keep them in sync (NTP). A stale owner that still finishes keeps nothing: `done`
 * is final, the first replies stay.
 *
 * @example
 * const ledger = openKvDispatchLedger({ kv: buckets.ledger, owner: { worker: 'w1', pid, host }, clock });
 */
export const openKvDispatchLedger = (o: KvDispatchLedgerOptions): DispatchLedger =>
  createVersionedDispatchLedger({
    records: kvVersionedRecords<LedgerEntry>(o.kv, {
      name: 'dispatch ledger',
      ...(o.retryWithinMs === undefined ? {} : { retryWithinMs: o.retryWithinMs }),
    }),
    owner: o.owner,
    clock: o.clock,
    isStale: heartbeatStale(o.staleAfterMs ?? KV_STALE_AFTER_MS),
  });
