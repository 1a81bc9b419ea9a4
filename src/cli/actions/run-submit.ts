import type { RunHandle } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { stopEngineOnInterrupt } from '../interrupt.js';
import { RunProgress } from '../render/progress.js';
import { renderRunSummary } from './run-summary.js';

/**
 * Submits a run (`jobs run`, `runs rerun`) and, with `follow` or on an ephemeral engine (which
 * lives only as long as this command), waits for it: progress lines, then the summary. A
 * failed run's error (`job_policy_denied`, `job_execution_failed`, ... with the run id in
 * `data`) is reported after its summary; a cancelled run exits 1.
 * JSON: `{runId, jobId, engine}`; once waited for `{runId, jobId, engine, status, receiptDir, receipt}`.
 */
export const submitAndWait = async (
  ctx: CliContext,
  submit: () => Promise<RunHandle>,
  options: { follow: boolean },
): Promise<Outcome> => {
  const offInterrupt = stopEngineOnInterrupt(ctx.client);
  try {
    const handle = await submit();
    const { runId, engine } = handle;
    const jobId = handle.jobId ?? '';
    if (!options.follow && engine !== 'ephemeral') {
      return {
        data: { runId, jobId, engine },
        human: ({ colors: c }) =>
          `run ${c.bold(runId)} requested (job ${jobId})\nfollow it: ${ctx.lily(`jobs tail ${jobId}`)}    show it: ${ctx.lily(`runs show ${runId}`)}`,
      };
    }
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
      data: { runId, jobId, engine, status, receiptDir, receipt },
      human: ({ colors: c }) => renderRunSummary(c, receipt, receiptDir, ctx.lily),
      exitCode: status === 'succeeded' ? 0 : 1,
      ...(result.error ? { error: result.error } : {}),
    };
  } finally {
    offInterrupt();
  }
};
