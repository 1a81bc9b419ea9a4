import type { Clock } from '../../contracts/clock.js';
import { runStream } from '../../contracts/events/streams.js';
import { isRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { type RebuiltState, type RunIndex, rebuildRunIndex } from './run-index.js';
import { requestedEvent } from './run-records.js';

/**
 * After a (re)start: fills `index` from the log (active runs, then the queue in request
 * order) and completes requests a crash left half-written (`run.requested` in the job stream,
 * not yet in the run's). Returns what was rebuilt (the cron cursors are in it).
 */
export const restoreRunIndex = async (
  store: EventStore,
  index: RunIndex,
  clock: Clock,
  producer: string,
): Promise<RebuiltState> => {
  const rebuilt = await rebuildRunIndex(store);
  for (const { runId, jobId } of rebuilt.active) index.markActive(runId, jobId);
  for (const requested of rebuilt.orphans) {
    if (!isRunId(requested.runId)) continue;
    await store.append(runStream(requested.runId), [requestedEvent(requested, clock.now(), producer)]);
  }
  for (const requested of [...rebuilt.orphans, ...rebuilt.queued]) {
    if (isRunId(requested.runId))
      index.enqueue({ runId: requested.runId, jobId: requested.jobId, requested });
  }
  return rebuilt;
};
