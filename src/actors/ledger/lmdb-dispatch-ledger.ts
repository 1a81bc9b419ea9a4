import type { Database, RootDatabase } from 'lmdb';
import { openNamedDb } from '../../eventstore/lmdb-env.js';
import type { InboundEvent } from '../messages.js';

export type LedgerEntry =
  | { status: 'running'; worker: string; pid: number; since: number }
  | { status: 'done'; replies: InboundEvent[] };

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'done'; replies: InboundEvent[] }
  | { kind: 'running'; worker: string; pid: number };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
};

/**
 * The dispatch ledger: one LMDB record per dispatch id, shared by every worker on the machine
 * (they open the same `.lily/db`). Claiming is a write transaction, so two workers handed the
 * same dispatch (a re-send after a crash, a reconnect) never both run it: the second gets the
 * first one's replies, or nothing while it still runs. This is what makes the effect of a
 * dispatch happen once although delivery is at-least-once.
 */
export class DispatchLedger {
  readonly #db: Database<LedgerEntry, string>;
  readonly #root: RootDatabase;

  constructor(
    root: RootDatabase,
    private readonly worker: string,
  ) {
    this.#root = root;
    this.#db = openNamedDb<LedgerEntry, string>(root, 'dispatch-ledger');
  }

  /**
   * Claims a dispatch for this worker. A claim left by a dead process is taken over only when
   * `retakeStale` (idempotent work); a non-idempotent dispatch found running in a dead worker
   * stays claimed, and its step times out into `indeterminate`.
   */
  async claim(dispatchId: string, retakeStale: boolean): Promise<ClaimResult> {
    let result: ClaimResult = { kind: 'claimed' };
    await this.#root.transaction(() => {
      const entry = this.#db.get(dispatchId);
      if (entry?.status === 'done') {
        result = { kind: 'done', replies: entry.replies };
        return;
      }
      if (entry?.status === 'running' && (alive(entry.pid) || !retakeStale)) {
        result = { kind: 'running', worker: entry.worker, pid: entry.pid };
        return;
      }
      this.#db.put(dispatchId, {
        status: 'running',
        worker: this.worker,
        pid: process.pid,
        since: Date.now(),
      });
      result = { kind: 'claimed' };
    });
    await this.#root.flushed;
    return result;
  }

  /** Records the replies of a finished dispatch, durably, so a re-send gets them again. */
  async complete(dispatchId: string, replies: InboundEvent[]): Promise<void> {
    await this.#db.put(dispatchId, { status: 'done', replies });
    await this.#root.flushed;
  }
}
