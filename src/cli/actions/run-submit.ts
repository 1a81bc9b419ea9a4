import type { RunHandle } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { carryDir } from '../hints.js';
import { stopEngineOnInterrupt } from '../interrupt.js';
import { RunProgress } from '../render/progress.js';
import { renderRunSummary } from './run-summary.js';

/**
 * Submits a run (`jobs run`, `runs rerun`) and, with `follow` or on an ephemeral engine (which
 * lives only as long as this command), waits for it: progress lines, then the summary. A
 * failed run's error (`job_policy_denied`, `job_execution_failed`, ... with the run id in
 * `data`) is reported after its summary; a cancelled run exits 1.
 * Warnings the engine gave (a deprecated job kind) go to stderr; a repeated idempotency key
 * says it found the run of the first request (`existing`).
 * JSON: `{runId, jobId, engine, existing, warnings}`; once waited for, also `{status, receiptDir, receipt}`.
 */
export const submitAndWait = async (
  ctx: CliContext,
  submit: () => Promise<RunHandle>,
  options: { follow: boolean },
): Promise<Outcome> => {
  const offInterrupt = stopEngineOnInterrupt(ctx.client);
  try {
    const handle = await submit();
    const { runId, engine, existing, warnings } = handle;
    const jobId = handle.jobId ?? '';
    if (!ctx.json) {
      for (const w of warnings) ctx.ui.err(ctx.ui.colors.yellow(`warning: ${carryDir(w, ctx.dirArg)}`));
    }
    const accepted = { runId, jobId, engine, existing, warnings: [...warnings] };
    const requested = existing ? 'was already requested with this idempotency key' : 'requested';
    if (!options.follow && engine !== 'ephemeral') {
      return {
        data: accepted,
        human: ({ colors: c }) =>
          `run ${c.bold(runId)} ${requested} (job ${jobId})\nfollow it: ${ctx.lily(`jobs tail ${jobId}`)}    show it: ${ctx.lily(`runs show ${runId}`)}`,
      };
    }
    if (existing && !ctx.json) ctx.ui.err(ctx.ui.colors.dim(`run ${runId} ${requested}`));
    const showProgress = options.follow && !ctx.json;
    if (showProgress) ctx.ui.out(ctx.ui.colors.dim(`run ${runId} of job ${jobId} (engine: ${engine})`));
    const progress = showProgress
      ? new RunProgress(ctx.ui.colors, {
          tty: process.stdout.isTTY === true,
          write: (t) => void process.stdout.write(t),
          now: () => ctx.client.now(),
          lily: ctx.lily,
        })
      : undefined;
    const result = await handle
      .result({ onEvent: (e) => progress?.event(e) })
      .finally(() => progress?.stop());
    const { receipt, receiptDir, status } = result;
    return {
      data: { ...accepted, status, receiptDir, receipt },
      human: ({ colors: c }) => renderRunSummary(c, receipt, receiptDir, ctx.lily),
      exitCode: status === 'succeeded' ? 0 : 1,
      ...(result.error ? { error: result.error } : {}),
    };
  } finally {
    offInterrupt();
  }
};
