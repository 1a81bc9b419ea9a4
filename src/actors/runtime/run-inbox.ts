import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { InboundEvent } from '../messages.js';

/**
 * Port: the engine's run host, as the engine's other actors see it. The scheduler
 * (`run.started`, `timer.fired`, `run.cancel_requested`), the policy gate (`policy.decided`,
 * approval answers) and the answer desk (approvals, resolves) hand their facts to it
 * in-process: the run inbox on the bus takes workers' proven answers only (design.md §8).
 * Resolves when the facts are durable, or dropped as stale or invalid (logged).
 */
export interface RunInbox {
  deliver(runId: RunId, events: readonly InboundEvent[]): Promise<void>;
  /**
   * Starts a run whose stream does not exist yet with one append: `request` (its
   * `run.requested`, and `run.forked` for a fork), then `started` and the commands it causes.
   * Resolves once that append is durable. Optional: without it the scheduler records the
   * request itself and delivers `run.started` (two appends).
   */
  launch?(runId: RunId, jobId: string, request: readonly NewEvent[], started: InboundEvent): Promise<void>;
}
