import type { EngineMode } from '../connection/live-target.js';
import type { ClientContext } from '../context.js';
import { buildRunRequest, type RerunOf, type RunRequestOptions, sendRunRequest } from './request.js';

/** A run the scheduler accepted. */
export interface Submitted {
  runId: string;
  jobId: string;
  engine: EngineMode;
  /** An earlier request with the same idempotency key started this run (none was started now). */
  existing: boolean;
  /** What the engine said about the job while accepting it (a deprecated job kind). */
  warnings: string[];
}

/**
 * Builds the request and sends it to a running engine, or (when the client allows it and none
 * runs) to an ephemeral engine started for this client. Throws the scheduler's refusals
 * (`job_not_found`, `job_bindings_invalid`, ...), `bus_unavailable`, and what starting an
 * ephemeral engine throws (`nats_server_missing`, ...).
 */
export const submitRequest = async (
  ctx: ClientContext,
  jobId: string,
  o: RunRequestOptions,
  rerun?: RerunOf,
): Promise<Submitted> => {
  const link = await ctx.engineForSubmit(rerun ? 'a re-run' : 'a run');
  const accepted = await sendRunRequest(link, buildRunRequest(jobId, o, rerun));
  return { ...accepted, engine: link.mode };
};
