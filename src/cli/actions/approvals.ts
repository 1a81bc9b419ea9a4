import type { ApprovalAnswered } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatTime } from '../render/format.js';
import { printable } from '../render/printable.js';
import { renderTable } from '../render/table.js';

/** `lily approvals list [--all]`: pending approvals (all with `--all`). JSON `{approvals: [ApprovalView]}`. */
export const listApprovalsAction = async (ctx: CliContext, options: { all?: boolean }): Promise<Outcome> => {
  const approvals = await ctx.client.approvals.list({ all: options.all === true });
  return {
    data: { approvals },
    human: ({ colors: c }) => {
      if (approvals.length === 0) return c.dim(options.all ? 'no approvals' : 'no pending approvals');
      const rows = approvals.map((a) => [
        c.bold(a.approvalId),
        a.jobId ?? '',
        a.runId ?? '',
        `${a.stepId}#${a.attempt}`,
        colorStatus(c, a.status),
        formatTime(a.requestedAt),
        printable(a.status === 'pending' ? a.reason : `${a.by ?? ''}${a.note ? `: ${a.note}` : ''}`),
      ]);
      return renderTable(
        c,
        ['APPROVAL', 'JOB', 'RUN', 'STEP', 'STATUS', 'REQUESTED', 'REASON / ANSWER'],
        rows,
      );
    },
  };
};

const answered = (ctx: CliContext, r: ApprovalAnswered): Outcome => ({
  data: { approval: r.approval, delivered: r.delivered },
  human: ({ colors: c }) =>
    [
      `approval ${c.bold(r.approval.approvalId)} ${colorStatus(c, r.approval.status)} by ${r.approval.by ?? ''} (run ${r.approval.runId ?? '-'}, step ${r.approval.stepId})`,
      c.dim(
        r.delivered
          ? 'delivered to the run'
          : `recorded; no engine is running: it is delivered when the engine starts (${ctx.lily('up')})`,
      ),
    ].join('\n'),
});

/** `lily approvals grant <id> [--comment c] [--by name]`. Throws `approval_not_found`, `approval_answered`. */
export const grantApproval = async (
  ctx: CliContext,
  approvalId: string,
  options: { comment?: string; by?: string },
): Promise<Outcome> =>
  answered(
    ctx,
    await ctx.client.approvals.grant(approvalId, {
      ...(options.comment ? { comment: options.comment } : {}),
      ...(options.by ? { by: options.by } : {}),
    }),
  );

/** `lily approvals deny <id> --reason r [--by name]`. */
export const denyApproval = async (
  ctx: CliContext,
  approvalId: string,
  options: { reason: string; by?: string },
): Promise<Outcome> =>
  answered(
    ctx,
    await ctx.client.approvals.deny(approvalId, {
      reason: options.reason,
      ...(options.by ? { by: options.by } : {}),
    }),
  );
