import type { EventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import { jobStream } from '../../contracts/events/streams.js';
import type { JobId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { requestEventId } from './idempotency.js';
import type { PreparedRun } from './prepare-run.js';
import { requestEvents } from './run-records.js';
import { startedFact } from './scheduler-decisions.js';

/** What recording a launched request did: launched it, or found the run an equal key recorded first. */
export type LaunchOutcome = { launched: true } | { launched: false; recorded: EventData<'run.requested'> };

/**
 * Records a request that starts at once (its job has a free slot) with its start: the job's run
 * index, and the run's stream with `run.requested`, `run.started` and the first dispatches in one
 * append (the run host's `launch`). Without an idempotency key both appends are issued together,
 * so they share a commit and a flush; the index is issued first: a crash between two commits
 * leaves an index entry without a run stream, which the scheduler's rebuild completes, never a run
 * its job does not list. With a key the index append goes first and alone: it is what decides
 * whether this request or an earlier one with the same key owns the key (a run the key did not
 * get is never started). Resolves once everything is durable; throws the first failure after both
 * settled (a run whose own append succeeded goes on: the log has it).
 */
export const launchRequested = async (
  store: EventStore,
  launch: NonNullable<RunInbox['launch']>,
  prepared: PreparedRun,
  at: number,
  producer: string,
): Promise<LaunchOutcome> => {
  const request = requestEvents(prepared, at, producer);
  const [requested] = request as [NewEvent<'run.requested'>];
  const key = prepared.requested.idempotencyKey;
  const indexed = { ...requested, id: requestEventId(prepared.runId, key) };
  const job = store.append(jobStream(prepared.requested.jobId as JobId), [indexed]);
  const start = () => launch(prepared.runId, prepared.spec.id, request, startedFact(prepared, at, producer));
  if (key !== undefined) {
    const indexedBy = await job;
    const recorded = indexedBy.events[0]?.data as EventData<'run.requested'>;
    if (indexedBy.deduplicated) return { launched: false, recorded };
    await start();
    return { launched: true };
  }
  const [jobResult, runResult] = await Promise.allSettled([job, start()]);
  if (jobResult.status === 'rejected') throw jobResult.reason;
  if (runResult.status === 'rejected') throw runResult.reason;
  return { launched: true };
};
