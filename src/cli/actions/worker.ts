import { LilyError } from '../../contracts/errors.js';
import type { CliContext, Outcome } from '../context.js';
import { untilSignal } from '../signals.js';

const concurrencyOf = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new LilyError('usage_invalid', '--concurrency must be an integer from 1 to 1024', {
      reason: '--concurrency',
      value,
    });
  }
  return n;
};

/**
 * `lily worker [--nats URL] [--creds FILE] [--id N] [--concurrency N]` (in `--dir DIR`): serves
 * dispatches until SIGINT/SIGTERM, then drains (running dispatches finish) and exits 0. Its log
 * (JSON lines) goes to stderr.
 */
export const runWorker = async (
  ctx: CliContext,
  options: { creds?: string; id?: string; concurrency?: string },
): Promise<Outcome> => {
  const concurrency = concurrencyOf(options.concurrency);
  const worker = await ctx.client.deployment.startWorker({
    ...(options.creds === undefined ? {} : { creds: options.creds }),
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  ctx.ui.err(
    ctx.ui.errColors.dim(
      `worker-${worker.id} serving ${worker.executors.join(', ')} in namespace ${worker.namespace} on ${worker.url} (Ctrl-C to stop)`,
    ),
  );
  const signal = await untilSignal();
  await worker.stop(signal);
  return {
    data: { id: worker.id, namespace: worker.namespace, stopped: signal },
    human: () => `worker-${worker.id} stopped (${signal})`,
  };
};
