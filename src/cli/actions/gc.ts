import type { CliContext, Outcome } from '../context.js';
import { formatBytes, shortSha } from '../render/format.js';
import { renderFields, renderTable } from '../render/table.js';

/**
 * `lily gc [--dry-run]`: retention. Expired runs lose their projection directories and the
 * blobs nothing kept refers to; events are never deleted. JSON: the RetentionReport
 * `{dryRun, plan: {kept, expired, projectionDirs, blobs, bytes}, deletedDirs, deletedBlobs, bytesFreed, errors}`.
 * Exit 1 when some deletion failed.
 */
export const gc = async (ctx: CliContext, options: { dryRun?: boolean }): Promise<Outcome> => {
  const report = await ctx.client.project.gc({ dryRun: options.dryRun === true });
  const { plan } = report;
  return {
    data: report,
    exitCode: report.errors.length > 0 ? 1 : 0,
    human: ({ colors: c }) => {
      const verb = report.dryRun ? 'would delete' : 'deleted';
      const lines = [
        renderFields(c, [
          ['runs kept', String(plan.kept.length)],
          ['runs expired', String(plan.expired.length)],
          [
            `projections ${verb}`,
            String(report.dryRun ? plan.projectionDirs.length : report.deletedDirs.length),
          ],
          [`blobs ${verb}`, String(report.dryRun ? plan.blobs.length : report.deletedBlobs.length)],
          [
            report.dryRun ? 'bytes to free' : 'bytes freed',
            formatBytes(report.dryRun ? plan.bytes : report.bytesFreed),
          ],
        ]),
      ];
      if (plan.expired.length > 0) {
        lines.push(
          '',
          renderTable(
            c,
            ['EXPIRED RUN', 'JOB', 'ARTIFACTS'],
            plan.expired.map((r) => [r.runId, r.jobId ?? '', r.artifacts.map(shortSha).join(' ')]),
          ),
        );
      }
      for (const e of report.errors) lines.push(c.red(`✗ ${e.target}: ${e.message}`));
      if (report.dryRun)
        lines.push(c.dim(`dry run: nothing was deleted; run \`${ctx.lily('gc')}\` to delete`));
      return lines.join('\n');
    },
  };
};
