import type { Command } from '../../machines/types.js';
import type { RunSlot } from './run-slot.js';

/** Commands worth re-sending when unanswered: their receivers dedupe on the dispatch/step attempt. */
const REDELIVERED: ReadonlySet<string> = new Set([
  'step.dispatch',
  'gate.run',
  'partition.plan',
  'policy.check',
]);

const ACKED_RECHECK_MS = 30_000;

/**
 * The pending commands of a live run that are due for a re-send at `now`, updating the slot's
 * bookkeeping: first seen, then after 1 s, 2 s, 4 s … 30 s without an answer. A dispatch a
 * worker acknowledged is only re-checked every 30 s: its reply may have been lost in a NATS
 * outage, and the worker's ledger answers a re-send with the stored reply.
 */
export const dueForRedelivery = (slot: RunSlot, now: number): Command[] => {
  const pending = slot.state?.status === 'running' ? slot.state.pending : {};
  for (const key of slot.sent.keys()) if (!(key in pending)) slot.sent.delete(key);
  const due: Command[] = [];
  for (const [key, command] of Object.entries(pending)) {
    if (!REDELIVERED.has(command.type)) continue;
    const dispatchId = (command.data as { dispatchId?: string }).dispatchId;
    const acked = dispatchId !== undefined && slot.acked.has(dispatchId);
    const sent = slot.sent.get(key);
    if (!sent) slot.sent.set(key, { at: now, tries: 0 });
    else if (now - sent.at >= (acked ? ACKED_RECHECK_MS : Math.min(30_000, 1_000 * 2 ** sent.tries))) {
      slot.sent.set(key, { at: now, tries: sent.tries + 1 });
      due.push(command);
    }
  }
  return due;
};
