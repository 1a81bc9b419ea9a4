import type { Clock } from '../../contracts/clock.js';
import type { Command } from '../../machines/types.js';
import type { Logger } from '../logger.js';
import { type OutboxPorts, publishCommands } from './outbox.js';
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

/** Re-publishes every command the live runs still wait on (receivers dedupe); returns how many. */
export const resendPending = (out: OutboxPorts, log: Logger, slots: Iterable<RunSlot>): number => {
  let sent = 0;
  for (const slot of slots) {
    if (slot.state?.status !== 'running') continue;
    const pending = Object.values(slot.state.pending);
    sent += pending.length;
    publishCommands(out, slot, pending);
  }
  log.info({ event: 'run_host.resent', commands: sent }, 'outstanding commands re-sent');
  return sent;
};

/** Re-sends commands of live runs: on a timer (what is due) and on demand (everything pending). */
export interface Redelivery {
  /** Re-publishes every command the live runs still wait on (receivers dedupe); returns how many. */
  resendAll(): number;
  stop(): void;
}

/**
 * Redelivery (decision 003): NATS drops a dispatch published while no worker listens (a worker
 * still starting, a restart). Every `sweepMs` the commands that waited longer than their
 * backoff are re-sent; on a NATS reconnect everything pending is (publishes made while
 * disconnected were dropped). Receivers dedupe, so a redelivery is never a second effect.
 */
export const startRedelivery = (o: {
  out: OutboxPorts;
  clock: Clock;
  log: Logger;
  slots: () => Iterable<RunSlot>;
  sweepMs: number;
}): Redelivery => {
  const sweep = () => {
    const now = o.clock.now();
    for (const slot of o.slots()) {
      const due = dueForRedelivery(slot, now);
      if (due.length === 0) continue;
      o.log.info(
        { event: 'run_host.redelivered', runId: slot.runId, commands: due.map((c) => c.type) },
        'unanswered commands re-sent',
      );
      publishCommands(o.out, slot, due);
    }
  };
  const resendAll = () => resendPending(o.out, o.log, o.slots());
  const sweeper = setInterval(sweep, o.sweepMs);
  sweeper.unref();
  const offStatus = o.out.bus.onStatus((status) => {
    if (status.type === 'reconnected') resendAll();
  });
  return {
    resendAll,
    stop() {
      clearInterval(sweeper);
      offStatus();
    },
  };
};
