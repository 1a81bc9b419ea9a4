import { runEventsPattern } from '../../actors/subjects.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { approvalStream } from '../../contracts/events/streams.js';
import { isJobId, isRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { ClientContext } from '../context.js';
import { followStream } from '../runs/follow.js';
import { watchLog } from '../runs/wake.js';

/** How long an answer waits for the policy gate to record a request the run has announced. */
const RECORD_WAIT_MS = 10_000;
/** How often the approval stream is re-read meanwhile (the gate's append is not published). */
const RECHECK_MS = 100;

/** The run that asked for `approvalId` (its `approval.requested`), when the id names one. */
const announcingRun = async (store: EventStore, approvalId: string): Promise<StoredEvent[] | undefined> => {
  const runId = approvalId.split('.')[0];
  if (!isRunId(runId)) return undefined;
  const events = await store.readStream(`run/${runId}`);
  const asked = events.some(
    (e) => e.type === 'approval.requested' && (e.data as { approvalId?: unknown }).approvalId === approvalId,
  );
  return asked ? events : undefined;
};

/**
 * Waits (up to 10 s) until `approval/<id>` holds the request when a run has already announced
 * it: the run host logs `approval.requested` in the run's stream a moment before the policy
 * gate records it in the approval stream, and a script that answers as soon as it sees the
 * run's event must not be told `approval_not_found`. Returns at once when the request is
 * recorded, or when no run announced it (the answer then fails with `approval_not_found`).
 */
export const untilApprovalRecorded = async (ctx: ClientContext, store: EventStore, approvalId: string) => {
  const stream = approvalStream(approvalId);
  if ((await store.streamVersion(stream)) > 0) return;
  const run = await announcingRun(store, approvalId);
  if (!run) return;
  const jobId = (run[0]?.data as { jobId?: unknown } | undefined)?.jobId;
  const runId = approvalId.split('.')[0] as string;
  const observer = await ctx.observerBus();
  const pattern =
    observer && isJobId(jobId) && isRunId(runId) ? runEventsPattern(observer.ns, jobId, runId) : undefined;
  const wake = await watchLog(observer?.bus, pattern, RECHECK_MS);
  const signal = AbortSignal.timeout(RECORD_WAIT_MS);
  for await (const _ of followStream(store, stream, { wake, signal, until: () => true })) return;
};
