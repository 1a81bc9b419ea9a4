import type { ClaimResult, DispatchOwner, LedgerEntry, RunningEntry } from './dispatch-ledger.js';

/** What a claimer does with the entry it read: write a new running entry, or answer without writing. */
export type ClaimDecision =
  | { kind: 'write'; entry: RunningEntry }
  | Exclude<ClaimResult, { kind: 'claimed' }>;

/**
 * The claim rule, shared by every adapter (pure: the time and the owner's staleness come in).
 * Done answers with its replies whatever is asked; a running entry is answered with its owner
 * unless its owner is stale and the caller may retake it; otherwise the caller claims.
 */
export const decideClaim = (
  current: LedgerEntry | undefined,
  claimer: { owner: DispatchOwner; now: number; retakeStale: boolean; ownerStale: boolean },
): ClaimDecision => {
  if (current?.status === 'done') return { kind: 'done', replies: current.replies };
  if (current?.status === 'running' && !(claimer.retakeStale && claimer.ownerStale)) {
    const { owner, since, heartbeatAt } = current;
    return { kind: 'running', owner, since, heartbeatAt };
  }
  return {
    kind: 'write',
    entry: { status: 'running', owner: claimer.owner, since: claimer.now, heartbeatAt: claimer.now },
  };
};

export const sameOwner = (a: DispatchOwner, b: DispatchOwner): boolean =>
  a.worker === b.worker && a.pid === b.pid && a.host === b.host;

/** Whether `owner` still holds the entry (a heartbeat refreshes it; otherwise the claim was lost). */
export const holds = (entry: LedgerEntry | undefined, owner: DispatchOwner): entry is RunningEntry =>
  entry?.status === 'running' && sameOwner(entry.owner, owner);

/** Heartbeat-age staleness (owners anywhere): stale once `staleAfterMs` passed without a heartbeat. */
export const heartbeatStale =
  (staleAfterMs: number) =>
  (entry: RunningEntry, now: number): boolean =>
    now - entry.heartbeatAt > staleAfterMs;
