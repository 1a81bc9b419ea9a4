import { randomUUID } from 'node:crypto';
import { runRequestReplySchema, type SchedMessage } from '../../actors/messages.js';
import { schedSubject } from '../../actors/subjects.js';
import { isLilyError, LilyError } from '../../contracts/errors.js';
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
  /**
   * Makes the request idempotent (Temporal's workflow id, Restate's idempotency key): a repeat
   * of the key for the same job returns the run the first request started, instead of starting
   * another, across retries and engine restarts. Default: a new key for each call (so the
   * client's own retries of that call never start two runs). 1-200 characters.
   */
  idempotencyKey?: string;
}

/** A fork of an earlier run: its outputs before `fromStep` are reused. */
export interface RerunOf {
  parentRunId: string;
  fromStep?: string;
  gatesOnly?: boolean;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/** A caller's idempotency key, checked: 1-200 printable ASCII characters without spaces. */
const checkedKey = (key: string): string => {
  if (KEY.test(key)) return key;
  throw new LilyError('usage_invalid', 'an idempotency key is 1-200 printable ASCII characters, no spaces', {
    reason: 'idempotency_key',
    option: '--idempotency-key',
  });
};

/**
 * Builds a `run.request`: the only place that does, for new runs and re-runs alike. Every
 * request carries an idempotency key (the caller's, or a new one for this call).
 */
export const buildRunRequest = (jobId: string, o: RunRequestOptions, rerun?: RerunOf): RunRequestMessage => ({
  type: 'run.request',
  jobId,
  idempotencyKey: o.idempotencyKey === undefined ? randomUUID() : checkedKey(o.idempotencyKey),
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

/** How long the scheduler has to accept or refuse one attempt of a request. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** How long a request is retried (same key) while no scheduler answers: an engine restarting. */
const RETRY_FOR_MS = 30_000;
/** Codes after which the same request is sent again: nobody answered, or the reply was lost. */
const RETRIED = new Set(['bus_timeout', 'bus_no_responders']);

/**
 * Sends a request to the engine's scheduler and returns the run it started (`existing`: the run
 * an earlier request with the same idempotency key started). When no scheduler answers (a lost
 * reply, an engine restarting) the same request is sent again, with backoff, for up to 30 s:
 * its key makes that safe. Throws what the scheduler refused with (`job_not_found`,
 * `job_bindings_invalid`, `job_input_invalid`, `idempotency_key_reused`, ...), and
 * `bus_timeout` / `bus_no_responders` when no scheduler answered in that time.
 */
export const sendRunRequest = async (
  link: EngineLink,
  request: RunRequestMessage,
  o: { retryForMs?: number } = {},
): Promise<{ runId: string; jobId: string; existing: boolean; warnings: string[] }> => {
  const until = Date.now() + (request.idempotencyKey === undefined ? 0 : (o.retryForMs ?? RETRY_FOR_MS));
  for (let attempt = 0; ; attempt++) {
    try {
      const reply = await link.bus.requestTyped(schedSubject(link.ns), request, runRequestReplySchema, {
        timeoutMs: ATTEMPT_TIMEOUT_MS,
      });
      if (!reply.ok) throw replyError(reply.error);
      return {
        runId: reply.runId,
        jobId: reply.jobId,
        existing: reply.existing === true,
        warnings: reply.warnings ?? [],
      };
    } catch (e) {
      if (!isLilyError(e) || !RETRIED.has(e.code) || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2_000, 250 * 2 ** attempt)));
    }
  }
};
