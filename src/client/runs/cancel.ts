import { runRequestReplySchema } from '../../actors/messages.js';
import { schedSubject } from '../../actors/subjects.js';
import type { EngineLink } from '../context.js';
import { replyError } from '../errors.js';

/** What a cancel request returned: the scheduler accepted it (the run ends `cancelled` shortly). */
export interface CancelReceipt {
  runId: string;
  jobId: string;
  by: string;
  cancelRequested: true;
}

/**
 * Asks the engine's scheduler to cancel a run (queued: at once; started: the engine cancels
 * it). Throws what the scheduler refused with (`run_not_found`, ...) and `bus_timeout`.
 */
export const requestCancel = async (
  link: EngineLink,
  runId: string,
  o: { by: string; reason?: string },
): Promise<CancelReceipt> => {
  const reply = await link.bus.requestTyped(
    schedSubject(link.ns),
    { type: 'run.cancel', runId, by: o.by, ...(o.reason ? { reason: o.reason } : {}) },
    runRequestReplySchema,
    { timeoutMs: 15_000 },
  );
  if (!reply.ok) throw replyError(reply.error);
  return { runId, jobId: reply.jobId, by: o.by, cancelRequested: true };
};
