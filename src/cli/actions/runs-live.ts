import { LilyError } from '../../contracts/errors.js';
import type { Json } from '../../contracts/json.js';
import type { CliContext, Outcome } from '../context.js';
import { readRunInput } from './run-inputs.js';
import { submitAndWait } from './run-submit.js';

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
    idempotencyKey?: string;
  },
): Promise<Outcome> => {
  const parent = ctx.client.runs.get(runId);
  await parent.events();
  const input = await readRunInput(options);
  return submitAndWait(
    ctx,
    () =>
      parent.rerun({
        ...(input ? { input } : {}),
        ...(options.as ? { principal: options.as } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(options.fromStep ? { fromStep: options.fromStep } : {}),
        gatesOnly: options.gatesOnly === true,
      }),
    { follow: options.follow === true },
  );
};

/** `lily runs cancel <runId> [--reason r] [--by name]`: via the scheduler of the running engine. */
export const cancelRun = async (
  ctx: CliContext,
  runId: string,
  options: { reason?: string; by?: string },
): Promise<Outcome> => {
  const done = await ctx.client.runs.get(runId).cancel({
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.by ? { by: options.by } : {}),
  });
  return {
    data: done,
    human: ({ colors: c }) =>
      `cancel of run ${c.bold(runId)} requested by ${done.by}\n${c.dim(`watch it: ${ctx.lily(`runs show ${runId}`)}`)}`,
  };
};

export interface ResolveOptions {
  succeeded?: boolean;
  failed?: boolean;
  output?: string;
  reason?: string;
  by?: string;
}

const usage = (message: string) => new LilyError('usage_invalid', message, { reason: 'resolve' });

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

/**
 * `lily runs resolve <runId> <dispatchId> --succeeded [--output json] | --failed --reason r`:
 * an operator's answer for a dispatch whose outcome is unknown (a non-idempotent step that was
 * in flight when its worker or engine died, or timed out); waits until the log has it.
 */
export const resolveStep = async (
  ctx: CliContext,
  runId: string,
  dispatchId: string,
  options: ResolveOptions,
): Promise<Outcome> => {
  if (options.succeeded === options.failed) throw usage('give exactly one of --succeeded and --failed');
  if (options.failed && !options.reason) throw usage('--failed needs --reason <text>');
  const answer = options.succeeded
    ? { outcome: 'succeeded' as const, output: parseOutput(options.output) }
    : { outcome: 'failed' as const, reason: options.reason ?? '' };
  const r = await ctx.client.runs
    .get(runId)
    .resolve(dispatchId, answer, options.by ? { by: options.by } : {});
  return {
    data: r,
    human: ({ colors: c }) =>
      r.recorded
        ? `${c.green(r.answer)} recorded for ${r.stepId} (${dispatchId}) by ${r.by}`
        : `${c.yellow(r.answer)} sent for ${r.stepId} (${dispatchId}); not in the log after 10 s: is the engine up? (${ctx.lily('status')})`,
  };
};
