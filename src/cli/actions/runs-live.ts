import { userInfo } from 'node:os';
import { runRequestReplySchema } from '../../actors/messages.js';
import { inboxSubject, schedSubject } from '../../actors/subjects.js';
import { isErrorCode } from '../../contracts/error-codes.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { parseRunId } from '../../contracts/ids.js';
import type { Json } from '../../contracts/json.js';
import type { CliContext, Outcome } from '../context.js';
import { projectSettings, requireLiveBus } from './live-target.js';
import { readRunInput } from './run-inputs.js';
import { readRun, withStorage } from './run-store.js';
import { submitRun } from './run-submit.js';

/** Who answers (cancels, resolves, approves): `--by`, else the OS user, else `operator`. */
export const operatorName = (by: string | undefined): string => {
  if (by) return by;
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};

/**
 * `lily runs rerun <runId> [--from-step s] [--gates-only] [--input ...] [--follow]`: a new run
 * of the same job (a fork when `--from-step` / `--gates-only`), through the scheduler like
 * `jobs run` (deployment, `--nats`, or an ephemeral engine).
 */
export const rerunRun = async (
  ctx: CliContext,
  runId: string,
  options: {
    fromStep?: string;
    gatesOnly?: boolean;
    input?: string[];
    inputFile?: string;
    follow?: boolean;
    as?: string;
  },
): Promise<Outcome> => {
  const settings = await projectSettings(ctx.dir);
  const events = await withStorage(ctx.dir, ({ events }) => readRun(events, runId));
  const jobId = (events[0]?.data as { jobId?: string } | undefined)?.jobId ?? '';
  const input = await readRunInput(options);
  return submitRun(
    ctx,
    settings,
    {
      type: 'run.request',
      jobId,
      ...(input ? { input } : {}),
      ...(options.as ? { principal: options.as } : {}),
      rerun: {
        parentRunId: runId,
        ...(options.fromStep ? { fromStep: options.fromStep } : {}),
        gatesOnly: options.gatesOnly === true,
      },
    },
    { follow: options.follow === true },
  );
};

/** `lily runs cancel <runId> [--reason r] [--by name]`: via the scheduler of the running engine. */
export const cancelRun = async (
  ctx: CliContext,
  runId: string,
  options: { reason?: string; by?: string },
): Promise<Outcome> => {
  const settings = await projectSettings(ctx.dir);
  await withStorage(ctx.dir, ({ events }) => readRun(events, runId));
  const bus = await requireLiveBus(ctx, settings, 'lily runs cancel');
  try {
    const by = operatorName(options.by);
    const reply = await bus.requestTyped(
      schedSubject(settings.ns),
      { type: 'run.cancel', runId, by, ...(options.reason ? { reason: options.reason } : {}) },
      runRequestReplySchema,
      { timeoutMs: 15_000 },
    );
    if (!reply.ok) {
      const { code, message, data } = reply.error;
      throw new LilyError(isErrorCode(code) ? code : 'internal_error', message, data);
    }
    return {
      data: { runId, jobId: reply.jobId, by, cancelRequested: true },
      human: ({ colors: c }) =>
        `cancel of run ${c.bold(runId)} requested by ${by}\n${c.dim(`watch it: lily runs show ${runId}`)}`,
    };
  } finally {
    await bus.close();
  }
};

const dispatchOf = (events: readonly StoredEvent[], dispatchId: string) =>
  events.find(
    (e) => e.type === 'step.dispatched' && (e.data as { dispatchId?: string }).dispatchId === dispatchId,
  )?.data as { stepId: string; attempt: number; dispatchId: string; shard?: string } | undefined;

const answered = (events: readonly StoredEvent[], dispatchId: string): StoredEvent | undefined =>
  events.find(
    (e) =>
      (e.type === 'step.succeeded' || e.type === 'step.failed') &&
      (e.data as { dispatchId?: string }).dispatchId === dispatchId,
  );

const parseOutput = (text: string | undefined): Json => {
  if (text === undefined) return {};
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new LilyError('usage_invalid', `--output is not JSON: ${(e as Error).message}`, {
      reason: 'output',
    });
  }
};

export interface ResolveOptions {
  succeeded?: boolean;
  failed?: boolean;
  output?: string;
  reason?: string;
  by?: string;
}

const resolveFact = (ref: NonNullable<ReturnType<typeof dispatchOf>>, o: ResolveOptions, by: string) => {
  const base = {
    stepId: ref.stepId,
    attempt: ref.attempt,
    dispatchId: ref.dispatchId,
    ...(ref.shard ? { shard: ref.shard } : {}),
  };
  const producer = `cli/${by}`;
  if (o.succeeded) {
    const data = { ...base, output: parseOutput(o.output), artifacts: [], durationMs: 0 };
    return { id: `${ref.dispatchId}/succeeded`, type: 'step.succeeded', at: Date.now(), data, producer };
  }
  const error = { code: 'job_execution_failed', message: o.reason ?? '', data: { resolvedBy: by } };
  const data = { ...base, error, retryable: false, durationMs: 0 };
  return { id: `${ref.dispatchId}/failed`, type: 'step.failed', at: Date.now(), data, producer };
};

const usage = (message: string) => new LilyError('usage_invalid', message, { reason: 'resolve' });

/**
 * `lily runs resolve <runId> <dispatchId> --succeeded [--output json] | --failed --reason r`:
 * an operator's answer for a dispatch whose outcome is unknown (a non-idempotent step that was
 * in flight when its worker or engine died: `step.indeterminate`, or timed out). The fact goes
 * to the run's inbox like a worker's reply (deterministic id `<dispatchId>/succeeded|failed`,
 * so a late worker reply dedupes); the command waits until the log has it.
 */
export const resolveStep = async (
  ctx: CliContext,
  runId: string,
  dispatchId: string,
  options: ResolveOptions,
): Promise<Outcome> => {
  if (options.succeeded === options.failed) throw usage('give exactly one of --succeeded and --failed');
  if (options.failed && !options.reason) throw usage('--failed needs --reason <text>');
  const settings = await projectSettings(ctx.dir);
  const events = await withStorage(ctx.dir, ({ events }) => readRun(events, runId));
  const ref = dispatchOf(events, dispatchId);
  if (!ref)
    throw new LilyError('run_not_found', `run ${runId} has no dispatch ${dispatchId}`, { runId, dispatchId });
  const already = answered(events, dispatchId);
  if (already) throw usage(`dispatch ${dispatchId} was already answered (${already.type})`);
  const by = operatorName(options.by);
  const fact = resolveFact(ref, options, by);
  const bus = await requireLiveBus(ctx, settings, 'lily runs resolve');
  try {
    bus.publish(inboxSubject(settings.ns, parseRunId(runId)), { runId, events: [fact] });
    await bus.flush();
  } finally {
    await bus.close();
  }
  const recorded = await withStorage(ctx.dir, async ({ events: store }) => {
    for (let i = 0; i < 100; i++) {
      const list = await store.readStream(`run/${runId}`, { fromSeq: events.length + 1 });
      if (list.some((e) => e.id === fact.id)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  });
  return {
    data: { runId, dispatchId, stepId: ref.stepId, answer: fact.type, by, recorded },
    human: ({ colors: c }) =>
      recorded
        ? `${c.green(fact.type)} recorded for ${ref.stepId} (${dispatchId}) by ${by}`
        : `${c.yellow(fact.type)} sent for ${ref.stepId} (${dispatchId}); not in the log after 10 s: is the engine up? (lily status)`,
  };
};
