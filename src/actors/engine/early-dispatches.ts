import type { ExecutorInfo } from '../../blueprints/catalog.js';
import type { Command } from '../../machines/types.js';
import type { Arrival } from './arrival.js';
import type { Decision } from './decide-batch.js';
import { isDispatch } from './outbox.js';

/** What the engine knows of each executor: what running it may do (the catalog). */
export type ExecutorEffects = ReadonlyMap<string, Pick<ExecutorInfo, 'sideEffects'>>;

/**
 * The dispatches of a decision that may leave before the append recording them is durable: as
 * soon as it is written into its transaction, while it commits and flushes. Everything else waits
 * for the flush.
 *
 * - A batch of workers' answers only: all its dispatches (decision 033). Replay re-derives them
 *   identically from the answers, which the workers' ledgers keep.
 * - A run's launch (its first append): the dispatches of steps that change nothing, where both
 *   the step and its executor, as the engine's catalog knows it, declare `sideEffects: 'none'`
 *   (decision 039). If the launch never reaches the disk, such a step ran for a run that does not
 *   exist, and nothing outside the run saw it. A step with any side effect, or whose executor the
 *   engine does not know, waits for the flush: a retried request would run it again.
 * - Anything else (approvals, timers, cancels, the engine's own facts): nothing.
 */
export const earlyDispatches = (
  launching: boolean,
  batch: readonly Arrival[],
  decision: Pick<Decision, 'commands' | 'next'>,
  executors: ExecutorEffects | undefined,
): Command[] => {
  if (!launching) return batch.every((a) => a.from === 'bus') ? decision.commands.filter(isDispatch) : [];
  const steps = decision.next.program?.index.byId;
  return decision.commands.filter(
    (c) =>
      c.type === 'step.dispatch' &&
      steps?.get(c.data.stepId)?.sideEffects === 'none' &&
      executors?.get(c.data.executor)?.sideEffects === 'none',
  );
};
