import type { CliContext, Outcome } from '../context.js';
import { renderFields } from '../render/table.js';

/**
 * `lily run new [--work-order <file>]`: a new run identity (ULID) and its manifest stored as
 * `manifest.json` (the work order file is stored first, and is the manifest's lineage input).
 * Appends no event. JSON `{runId, manifest: ArtifactRef, workOrder: ArtifactRef | null}`.
 */
export const newRun = async (ctx: CliContext, options: { workOrder?: string }): Promise<Outcome> => {
  const result = await ctx.client.runs.newIdentity(
    options.workOrder === undefined ? {} : { workOrder: options.workOrder },
  );
  return {
    data: result,
    human: ({ colors: c }) =>
      renderFields(c, [
        ['run', c.bold(result.runId)],
        ['manifest', result.manifest.sha256],
        [
          'work order',
          result.workOrder ? `${result.workOrder.sha256} (${result.workOrder.name})` : undefined,
        ],
      ]),
  };
};
