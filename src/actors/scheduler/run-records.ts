import type { EventData } from '../../contracts/events/catalog.js';
import type { NewEvent, StoredEvent } from '../../contracts/events/envelope.js';
import type { ErrorInfo } from '../../contracts/events/shared-schemas.js';
import { jobStream, runStream } from '../../contracts/events/streams.js';
import type { JobId, RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { NO_STREAM } from '../../eventstore/event-store.js';
import { requestEventId } from './idempotency.js';

/** The events the scheduler writes itself: run requests, ticks, and the end of runs that never started. */
export const requestedEvent = (
  data: EventData<'run.requested'>,
  at: number,
  producer: string,
): NewEvent<'run.requested'> => ({
  id: `${data.runId}/requested`,
  type: 'run.requested',
  at,
  data,
  meta: { correlationId: data.runId, producer },
});

export const tickEvent = (
  data: EventData<'schedule.ticked'>,
  at: number,
  producer: string,
): NewEvent<'schedule.ticked'> => ({
  id: `tick/${data.scheduledAt}`,
  type: 'schedule.ticked',
  at,
  data,
  meta: { producer, ...(data.runId !== undefined ? { correlationId: data.runId } : {}) },
});

/** The events a run's stream starts with: `run.requested`, and `run.forked` for a fork. */
export const requestEvents = (
  run: { requested: EventData<'run.requested'>; forked?: EventData<'run.forked'> },
  at: number,
  producer: string,
): NewEvent[] => {
  const events: NewEvent[] = [requestedEvent(run.requested, at, producer)];
  if (run.forked) {
    events.push({
      id: `${run.requested.runId}/forked`,
      type: 'run.forked',
      at,
      data: run.forked,
      meta: { correlationId: run.requested.runId, producer },
    });
  }
  return events;
};

/**
 * Writes a run request: first the job's run index (with the tick that caused it, if any, in
 * the same atomic append), then the run's own stream (`run.requested`, and `run.forked` for a
 * fork). A crash between the two leaves an index entry without a run stream, which the
 * scheduler's rebuild completes. A keyed request is indexed under `request/<key>`
 * (idempotency.ts). `written` is false when the job stream already held these events (decided
 * before: the caller must not admit the run again); `recorded` is the request the job stream
 * holds (another run's, when a request with the same key won a race); `events` are the stored
 * events that are new, for publishing.
 */
export const writeRunRequest = async (
  store: EventStore,
  opts: {
    runId: RunId;
    requested: EventData<'run.requested'>;
    forked?: EventData<'run.forked'>;
    tick?: EventData<'schedule.ticked'>;
    at: number;
    producer: string;
  },
): Promise<{ written: boolean; recorded: EventData<'run.requested'>; events: StoredEvent[] }> => {
  const { requested, at, producer } = opts;
  const req = requestedEvent(requested, at, producer);
  const indexed = { ...req, id: requestEventId(requested.runId, requested.idempotencyKey) };
  const jobEvents: NewEvent[] = opts.tick ? [tickEvent(opts.tick, at, producer), indexed] : [indexed];
  const job = await store.append(jobStream(requested.jobId as JobId), jobEvents);
  const recorded = job.events.find((e) => e.type === 'run.requested')?.data as EventData<'run.requested'>;
  if (job.deduplicated && recorded.runId !== requested.runId) {
    // A request with the same key was recorded first: its run is the answer; ours never exists.
    return { written: false, recorded, events: [] };
  }
  const runEvents = requestEvents(opts, at, producer);
  const run = await store.append(runStream(opts.runId), runEvents, {
    expectedVersion: NO_STREAM,
  });
  const tick = job.events.find((e) => e.type === 'schedule.ticked');
  return {
    written: !job.deduplicated,
    recorded,
    events: [...(tick && !job.deduplicated ? [tick] : []), ...(run.deduplicated ? [] : run.events)],
  };
};

/**
 * Ends a run that never started (cancelled while queued, or no longer preparable after a
 * restart) with `run.completed`, so every requested run reaches a final state in its stream.
 */
export const closeUnstartedRun = async (
  store: EventStore,
  runId: RunId,
  status: 'failed' | 'cancelled',
  at: number,
  producer: string,
  error?: ErrorInfo,
): Promise<StoredEvent[]> => {
  const data: EventData<'run.completed'> = {
    status,
    envelope: { status, artifacts: [], references: {}, payload: null },
    ...(error ? { error } : {}),
  };
  const result = await store.append(runStream(runId), [
    { id: `${runId}/completed`, type: 'run.completed', at, data, meta: { correlationId: runId, producer } },
  ]);
  return result.deduplicated ? [] : result.events;
};
