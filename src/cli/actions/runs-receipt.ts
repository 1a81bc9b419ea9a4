import type { CliContext, Outcome } from '../context.js';
import { renderFields } from '../render/table.js';

/**
 * `lily runs receipt <runId> [--rebuild]`: the run's receipt, rebuilt from the log (the log is
 * the truth; the files under `.lily/runs/` are projections). With `--rebuild` the three files
 * are rewritten and compared byte for byte with what was there.
 * JSON `{runId, dir, receipt, rebuild?: {identical, files: [{name, existed, identical}]}}`.
 */
export const runReceipt = async (
  ctx: CliContext,
  runId: string,
  options: { rebuild?: boolean },
): Promise<Outcome> => {
  const { dir, receipt, summary, rebuild } = await ctx.client.runs
    .get(runId)
    .receipt({ rebuild: options.rebuild === true });
  return {
    data: { runId, dir, receipt, ...(rebuild ? { rebuild } : {}) },
    human: ({ colors: c }) => {
      if (!rebuild) return `${c.dim(`# ${dir}`)}\n${summary.trimEnd()}`;
      const fields: [string, string][] = rebuild.files.map((f) => [
        f.name,
        !f.existed
          ? c.yellow('written (was missing)')
          : f.identical
            ? c.green('byte-identical')
            : c.red('changed'),
      ]);
      const verdict = rebuild.identical
        ? c.green('receipt rebuilt from the log: byte-identical')
        : rebuild.files.every((f) => !f.existed)
          ? c.yellow('receipt written from the log (there was none)')
          : c.yellow('receipt rebuilt from the log: it differed from the files on disk');
      return [renderFields(c, [['dir', dir], ...fields]), verdict].join('\n');
    },
  };
};
