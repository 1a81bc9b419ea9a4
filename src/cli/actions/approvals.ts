import type { Bus } from '../../actors/bus/bus.js';
import { type ApprovalView, answerApproval, listApprovals } from '../../actors/policy/approvals.js';
import type { CliContext, Outcome } from '../context.js';
import { colorStatus, formatTime } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { connectLive, findLiveTarget, projectSettings } from './live-target.js';
import { withStorage } from './run-store.js';
import { operatorName } from './runs-live.js';

/** `lily approvals list [--all]`: pending approvals (all with `--all`). JSON `{approvals: [ApprovalView]}`. */
export const listApprovalsAction = async (ctx: CliContext, options: { all?: boolean }): Promise<Outcome> => {
  const approvals = await withStorage(ctx.dir, ({ events }) =>
    listApprovals(events, options.all ? {} : { status: 'pending' }),
  );
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
        a.status === 'pending' ? a.reason : `${a.by ?? ''}${a.note ? `: ${a.note}` : ''}`,
      ]);
      return renderTable(
        c,
        ['APPROVAL', 'JOB', 'RUN', 'STEP', 'STATUS', 'REQUESTED', 'REASON / ANSWER'],
        rows,
      );
    },
  };
};

/**
 * Records the answer in `approval/<id>`; with a running engine (deployment or `--nats`) it is
 * delivered to the run at once, otherwise the engine delivers it when it starts.
 */
const answer = async (
  ctx: CliContext,
  approvalId: string,
  a: { granted: boolean; by: string; comment?: string; reason?: string },
): Promise<{ view: ApprovalView; delivered: boolean }> => {
  const settings = await projectSettings(ctx.dir);
  const target = await findLiveTarget(ctx, settings);
  const bus: Bus | undefined = target ? await connectLive(target) : undefined;
  try {
    const view = await withStorage(ctx.dir, ({ events }) =>
      answerApproval(events, bus, settings.ns, approvalId, a, { producer: `cli/${a.by}` }),
    );
    await bus?.flush();
    return { view, delivered: bus !== undefined };
  } finally {
    await bus?.close();
  }
};

const answered = (r: { view: ApprovalView; delivered: boolean }): Outcome => ({
  data: { approval: r.view, delivered: r.delivered },
  human: ({ colors: c }) =>
    [
      `approval ${c.bold(r.view.approvalId)} ${colorStatus(c, r.view.status)} by ${r.view.by ?? ''} (run ${r.view.runId ?? '-'}, step ${r.view.stepId})`,
      c.dim(
        r.delivered
          ? 'delivered to the run'
          : 'recorded; no engine is running: it is delivered when the engine starts (lily up)',
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
    await answer(ctx, approvalId, {
      granted: true,
      by: operatorName(options.by),
      ...(options.comment ? { comment: options.comment } : {}),
    }),
  );

/** `lily approvals deny <id> --reason r [--by name]`. */
export const denyApproval = async (
  ctx: CliContext,
  approvalId: string,
  options: { reason: string; by?: string },
): Promise<Outcome> =>
  answered(
    await answer(ctx, approvalId, { granted: false, by: operatorName(options.by), reason: options.reason }),
  );
