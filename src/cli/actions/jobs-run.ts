import type { CliContext, Outcome } from '../context.js';
import { projectSettings } from './live-target.js';
import { readRunInput } from './run-inputs.js';
import { submitRun } from './run-submit.js';

export interface RunJobOptions {
  input?: string[];
  inputFile?: string;
  dryRun?: boolean;
  follow?: boolean;
  as?: string;
}

/**
 * `lily jobs run <id> [--input k=v ...] [--input-file f] [--dry-run] [--follow] [--as p]`.
 * JSON: `{runId, jobId, engine}`; once followed `{runId, jobId, engine, status, receiptDir, receipt}`.
 */
export const runJob = async (ctx: CliContext, jobId: string, options: RunJobOptions): Promise<Outcome> => {
  const settings = await projectSettings(ctx.dir);
  const input = await readRunInput(options);
  return submitRun(
    ctx,
    settings,
    {
      type: 'run.request',
      jobId,
      ...(input ? { input } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.as ? { principal: options.as } : {}),
    },
    { follow: options.follow === true },
  );
};
