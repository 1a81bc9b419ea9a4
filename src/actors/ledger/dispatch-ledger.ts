import type { InboundEvent } from '../messages.js';

/** Who runs a claimed dispatch: a worker, its process and its host. */
export interface DispatchOwner {
  worker: string;
  pid: number;
  host: string;
}

/** A dispatch some worker has claimed and not finished. */
export interface RunningEntry {
  status: 'running';
  owner: DispatchOwner;
  /** When the owner claimed it (ms since the epoch, the owner's clock). */
  since: number;
  /** The owner's last sign of life for it (`since`, then every `heartbeat()`). */
  heartbeatAt: number;
}

/** A finished dispatch: the replies its run received, stored for re-sends. */
export interface DoneEntry {
  status: 'done';
  replies: InboundEvent[];
}

export type LedgerEntry = RunningEntry | DoneEntry;

/** What `claim` found: the dispatch is now this ledger's to run, already done, or running elsewhere. */
export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'done'; replies: InboundEvent[] }
  | { kind: 'running'; owner: DispatchOwner; since: number; heartbeatAt: number };

export interface ClaimOptions {
  /**
   * Take over a claim whose owner is stale (its process died, or its heartbeats stopped).
   * Only for idempotent work: a non-idempotent dispatch found running in a dead worker stays
   * claimed, and its step times out into `step.indeterminate`.
   */
  retakeStale: boolean;
}

/**
 * Port: the dispatch ledger. Delivery of dispatches is at-least-once (the run host re-sends
 * what is unanswered); the ledger makes their effect happen once per dispatch id, across every
 * worker that shares it. One entry per dispatch id, written by compare-and-set:
 *
 * - `claim` either makes the caller the owner (`claimed`: run it), or answers with the stored
 *   replies (`done`: send them again, run nothing), or names the owner (`running`: drop the
 *   duplicate). Among concurrent claimers of one id exactly one gets `claimed`.
 * - A `running` entry carries its owner, `since` and `heartbeatAt`. Each adapter judges when an
 *   owner is stale: the LMDB adapter (workers on one machine) by the owner's pid being gone, a
 *   NATS KV adapter (workers anywhere) by the age of its last heartbeat. A stale claim is taken
 *   over only with `retakeStale`.
 * - `complete` stores the replies; `done` is final: a later `complete` of the same id (a
 *   worker that was taken for dead) leaves the first replies in place.
 * - `heartbeat` refreshes every claim this ledger holds and reports those another owner took.
 *
 * Failure semantics: storage failures reject with `eventstore_unavailable` (LMDB) or
 * `bus_unavailable` (NATS); a rejected `claim` claimed nothing, so the dispatch's re-send is
 * safe. Adapters: `createInMemoryDispatchLedger` (tests), `openLmdbDispatchLedger`; one contract
 * suite (test/contract/dispatch-ledger.contract.test.ts) runs over each.
 *
 * @example
 * const claim = await ledger.claim(dispatchId, { retakeStale: step.idempotent });
 * if (claim.kind === 'done') return send(claim.replies);
 * if (claim.kind === 'running') return; // another worker runs it
 * const replies = await execute();
 * await ledger.complete(dispatchId, replies);
 * send(replies);
 */
export interface DispatchLedger {
  /** The owner this ledger claims as. */
  readonly owner: DispatchOwner;
  claim(dispatchId: string, options: ClaimOptions): Promise<ClaimResult>;
  /** Records the replies of a finished dispatch, durably. */
  complete(dispatchId: string, replies: InboundEvent[]): Promise<void>;
  /** Refreshes this ledger's running claims; `lost` lists those another owner has taken over. */
  heartbeat(): Promise<{ lost: string[] }>;
}
