import { hashJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import { jobStream } from '../../contracts/events/streams.js';
import type { JobId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { SchedMessage } from '../messages.js';

/**
 * Idempotent run requests. A request with a key is recorded in its job's stream under the event
 * id `request/<key>`; the event store dedupes appends by id (atomically, durably, in the same
 * write that records the request), so a repeat of the key can never record a second run, even
 * when it races the first or arrives after an engine restart, and needs no table of its own.
 * Before preparing a keyed request the scheduler looks the id up (`readEvent`): a repeat answers
 * with the first run at once, even if the job file has changed since. Keys are per job, like
 * Restate's per handler; they are kept as long as the log (nothing deletes events).
 */

/** The job-stream event id of a keyed request (`request/<key>`); a run's own id otherwise. */
export const requestEventId = (runId: string, key: string | undefined): string =>
  key === undefined ? `${runId}/requested` : `request/${key}`;

/** What a request asks, hashed: a key reused for a different request is refused. */
export const requestHash = (msg: Extract<SchedMessage, { type: 'run.request' }>): string =>
  hashJson({
    jobId: msg.jobId,
    input: msg.input ?? null,
    dryRun: msg.dryRun ?? null,
    principal: msg.principal ?? null,
    rerun: msg.rerun ?? null,
  });

/** The run a key already started for this job, if one did. */
export const findKeyedRequest = async (
  store: EventStore,
  jobId: JobId,
  key: string,
): Promise<EventData<'run.requested'> | undefined> => {
  const e = await store.readEvent(jobStream(jobId), requestEventId('', key));
  return e?.type === 'run.requested' ? (e.data as EventData<'run.requested'>) : undefined;
};

/**
 * The first run of a key, checked against the repeat: throws `idempotency_key_reused` when the
 * repeat asks for something else (another input, dry run, principal or re-run).
 */
export const sameRequest = (
  first: EventData<'run.requested'>,
  key: string,
  hash: string,
): EventData<'run.requested'> => {
  if (first.requestHash !== undefined && first.requestHash !== hash) {
    throw new LilyError(
      'idempotency_key_reused',
      `idempotency key ${JSON.stringify(key)} was used for a different request of job ${first.jobId} (run ${first.runId})`,
      { key, jobId: first.jobId, runId: first.runId },
    );
  }
  return first;
};
