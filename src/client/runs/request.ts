import { runRequestReplySchema, type SchedMessage } from '../../actors/messages.js';
import { schedSubject } from '../../actors/subjects.js';
import type { JsonObject } from '../../contracts/json.js';
import type { EngineLink } from '../context.js';
import { replyError } from '../errors.js';

/** The `run.request` message the scheduler takes. */
export type RunRequestMessage = Extract<SchedMessage, { type: 'run.request' }>;

/** What a caller may ask of a new run (`runs.submit`, `runs.rerun`). */
export interface RunRequestOptions {
  /** The run input (else the job's `input`). */
  input?: JsonObject;
  /** A dry run: executors simulate side effects. */
  dryRun?: boolean;
  /** The policy principal to run as (else the policy's `default_principal`). */
  principal?: string;
}

/** A fork of an earlier run: its outputs before `fromStep` are reused. */
export interface RerunOf {
  parentRunId: string;
  fromStep?: string;
  gatesOnly?: boolean;
}

/** Builds a `run.request`: the only place that does, for new runs and re-runs alike. */
export const buildRunRequest = (jobId: string, o: RunRequestOptions, rerun?: RerunOf): RunRequestMessage => ({
  type: 'run.request',
  jobId,
  ...(o.input ? { input: o.input } : {}),
  ...(o.dryRun ? { dryRun: true } : {}),
  ...(o.principal ? { principal: o.principal } : {}),
  ...(rerun
    ? {
        rerun: {
          parentRunId: rerun.parentRunId,
          ...(rerun.fromStep ? { fromStep: rerun.fromStep } : {}),
          gatesOnly: rerun.gatesOnly === true,
        },
      }
    : {}),
});

/** How long the scheduler has to accept or refuse a request. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * Sends a request to the engine's scheduler and returns the run it started. Throws what the
 * scheduler refused with (`job_not_found`, `job_bindings_invalid`, `job_input_invalid`, ...),
 * and `bus_timeout` / `bus_no_responders` when no scheduler answers.
 */
export const sendRunRequest = async (
  link: EngineLink,
  request: RunRequestMessage,
): Promise<{ runId: string; jobId: string }> => {
  const reply = await link.bus.requestTyped(schedSubject(link.ns), request, runRequestReplySchema, {
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  if (!reply.ok) throw replyError(reply.error);
  return { runId: reply.runId, jobId: reply.jobId };
};
