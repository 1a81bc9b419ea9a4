import type { Clock } from '../../contracts/clock.js';
import type { LilyStorage } from '../../eventstore/storage.js';
import type { DispatchLedger, DispatchOwner, RunningEntry } from './dispatch-ledger.js';
import { createVersionedDispatchLedger } from './versioned-dispatch-ledger.js';

/** Whether a process with this pid exists on this machine (EPERM: it exists, owned by another user). */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
};

/**
 * The LMDB dispatch ledger: the `dispatch-claims` table of the project's `.lily/db`, shared by
 * every worker on the machine (they open the same environment; each claim is a write
 * transaction, serialized across processes). An owner is stale when its process is gone: a
 * worker on this machine that died. Workers on other machines need the NATS KV adapter.
 *
 * @example
 * const ledger = openLmdbDispatchLedger(storage, { owner: { worker: 'w1', pid: process.pid, host }, clock });
 */
export const openLmdbDispatchLedger = (
  storage: Pick<LilyStorage, 'records'>,
  options: { owner: DispatchOwner; clock: Clock; isAlive?: (pid: number) => boolean },
): DispatchLedger => {
  const isAlive = options.isAlive ?? pidAlive;
  return createVersionedDispatchLedger({
    records: storage.records('dispatch-claims'),
    owner: options.owner,
    clock: options.clock,
    isStale: (entry: RunningEntry) => !isAlive(entry.owner.pid),
  });
};
