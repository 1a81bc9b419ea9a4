import type { CliContext, Outcome } from '../context.js';
import { carryDir } from '../hints.js';
import { colorStatus } from '../render/format.js';
import { renderTable } from '../render/table.js';

/**
 * `lily doctor`: node, nats-server, project, private state, config, policy, jobs, LMDB, engine keys, and the
 * running deployment's processes, each with what to do. Exit 1 when any check fails.
 * JSON `{ok, checks: [{id, status: ok|warn|fail|skip, detail, fix}]}`.
 */
export const doctor = async (ctx: CliContext): Promise<Outcome> => {
  const report = await ctx.client.project.doctor();
  const checks = report.checks.map((k) => ({ ...k, fix: carryDir(k.fix, ctx.dirArg) }));
  return {
    data: { ok: report.ok, checks },
    exitCode: report.ok ? 0 : 1,
    human: ({ colors: c }) => {
      const table = renderTable(
        c,
        ['CHECK', 'STATUS', 'DETAIL', 'WHAT TO DO'],
        checks.map((k) => [k.id, colorStatus(c, k.status), k.detail, k.fix]),
      );
      const failed = checks.filter((k) => k.status === 'fail').length;
      return `${table}\n${report.ok ? c.green('all checks passed') : c.red(`${failed} check(s) failed`)}`;
    },
  };
};
