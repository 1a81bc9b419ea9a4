import type { ApprovalView } from '../../actors/policy/approvals.js';
import type { ClientContext } from '../context.js';

/** An answer that was recorded: the approval as it is now, and whether the run got it. */
export interface ApprovalAnswered {
  approval: ApprovalView;
  /** True: the engine recorded the answer and handed it to the run. */
  delivered: boolean;
}

/**
 * Approvals (human in the loop). Each lives in its own stream `approval/<id>`; an answer is a
 * request to the engine (`cmd.answer`), which appends it there (the first answer wins) and only
 * then hands it to the run, so run and record agree. The client writes nothing to the log.
 */
export class ApprovalsApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Approvals, oldest request first: the pending ones, or all with `all`. Reads the log only.
   *
   * @example
   * const pending = await client.approvals.list();
   */
  async list(o: { all?: boolean } = {}): Promise<ApprovalView[]> {
    const { listApprovals } = await import('../../actors/policy/approvals.js');
    return listApprovals((await this.#ctx.stores()).events, o.all ? {} : { status: 'pending' });
  }

  /**
   * Grants a pending approval, with an optional comment. Needs a running engine (the one that
   * holds the run). An approval the run has just asked for (its `approval.requested` is in the
   * run's log) but the policy gate has not recorded yet is waited for, up to 10 s. Throws
   * `approval_not_found`, `approval_answered` (`data.status` says how it was answered),
   * `bus_unavailable` (no engine runs).
   *
   * @example
   * await client.approvals.grant(id, { comment: 'checked the diff' });
   */
  grant(approvalId: string, o: { comment?: string; by?: string } = {}): Promise<ApprovalAnswered> {
    return this.#answer(approvalId, { granted: true, ...(o.comment ? { comment: o.comment } : {}) }, o.by);
  }

  /**
   * Denies a pending approval: the step, and so the run, fails. Throws `approval_not_found`,
   * `approval_answered`.
   *
   * @example
   * await client.approvals.deny(id, { reason: 'not during the freeze' });
   */
  deny(approvalId: string, o: { reason: string; by?: string }): Promise<ApprovalAnswered> {
    return this.#answer(approvalId, { granted: false, reason: o.reason }, o.by);
  }

  async #answer(
    approvalId: string,
    a: { granted: boolean; comment?: string; reason?: string },
    by: string | undefined,
  ): Promise<ApprovalAnswered> {
    const who = this.#ctx.actor(by);
    const link = await this.#ctx.requireEngine('answering an approval');
    const { events } = await this.#ctx.stores();
    const [{ untilApprovalRecorded }, { sendAnswer }] = await Promise.all([
      import('./recorded.js'),
      import('../runs/answer-request.js'),
    ]);
    await untilApprovalRecorded(this.#ctx, events, approvalId);
    const result = await sendAnswer(link, {
      type: 'approval.answer',
      approvalId,
      granted: a.granted,
      by: who.by,
      ...(a.comment !== undefined ? { comment: a.comment } : {}),
      ...(a.reason !== undefined ? { reason: a.reason } : {}),
    });
    return { approval: result.approval as ApprovalView, delivered: true };
  }
}
