import type { NewEvent, StoredEvent } from '../../contracts/events/envelope.js';
import { jobStream } from '../../contracts/events/streams.js';
import type { JobId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { requestEventId } from './idempotency.js';
import type { PreparedRun } from './prepare-run.js';
import { requestEvents } from './run-records.js';
import { startedFact } from './scheduler-decisions.js';

/**
 * Records a request that starts at once (no idempotency key, a free slot) in two appends issued
 * together, so they share a commit and a flush: the job's run index, and the run's stream with
 * `run.requested`, `run.started` and the first dispatches (the run host's `launch`). The index
 * is issued first: a crash between two commits leaves an index entry without a run stream, which
 * the scheduler's rebuild completes, never a run its job does not list. Resolves with the job
 * stream's stored events once both are durable; throws the first failure after both settled
 * (a run whose own append succeeded goes on: the log has it).
 */
export const launchRequested = async (
  store: EventStore,
  inbox: Required<RunInbox>,
  prepared: PreparedRun,
  at: number,
  producer: string,
): Promise<StoredEvent[]> => {
  const request = requestEvents(prepared, at, producer);
  const [requested] = request as [NewEvent<'run.requested'>];
  const indexed = { ...requested, id: requestEventId(prepared.runId, undefined) };
  const job = store.append(jobStream(prepared.requested.jobId as JobId), [indexed]);
  const run = inbox.launch(prepared.runId, prepared.spec.id, request, startedFact(prepared, at, producer));
  const [jobResult, runResult] = await Promise.allSettled([job, run]);
  if (jobResult.status === 'rejected') throw jobResult.reason;
  if (runResult.status === 'rejected') throw runResult.reason;
  return jobResult.value.events;
};
