import type { CliContext, Outcome } from '../context.js';
import { readRunInput } from './run-inputs.js';
import { submitAndWait } from './run-submit.js';

export interface RunJobOptions {
  input?: string[];
  inputFile?: string;
  dryRun?: boolean;
  follow?: boolean;
  as?: string;
  idempotencyKey?: string;
}

/**
 * `lily jobs run <id> [--input k=v ...] [--input-file f] [--dry-run] [--follow] [--as p]
 * [--idempotency-key k]`: on
 * the running deployment (or `--nats`), else on an ephemeral engine that lives as long as the
 * command (which then waits for the run). See `submitAndWait` for the output.
 */
export const runJob = async (ctx: CliContext, jobId: string, options: RunJobOptions): Promise<Outcome> => {
  const input = await readRunInput(options);
  return submitAndWait(
    ctx,
    () =>
      ctx.client.runs.submit(jobId, {
        ...(input ? { input } : {}),
        ...(options.dryRun ? { dryRun: true } : {}),
        ...(options.as ? { principal: options.as } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      }),
    { follow: options.follow === true },
  );
};
