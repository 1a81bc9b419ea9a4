import type { ApprovalView } from '../../actors/policy/approvals.js';
import type { ClientContext } from '../context.js';

/** An answer that was recorded: the approval as it is now, and whether a running engine got it at once. */
export interface ApprovalAnswered {
  approval: ApprovalView;
  /** True when an engine was running and the answer was delivered to the run's inbox. */
  delivered: boolean;
}

/**
 * Approvals (human in the loop). Each lives in its own stream `approval/<id>`; an answer is
 * appended there first (so it is never lost) and then delivered to the run when an engine
 * runs; an engine that starts later finds it in the log.
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
   * Grants a pending approval, with an optional comment. An approval the run has just asked
   * for (its `approval.requested` is in the run's log) but the policy gate has not recorded
   * yet is waited for, up to 10 s. Throws `approval_not_found`, `approval_answered`
   * (`data.status` says how it was answered).
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
    const settings = await this.#ctx.settings();
    const who = this.#ctx.actor(by);
    const link = await this.#ctx.findEngine();
    const { events } = await this.#ctx.stores({ create: true });
    const [{ answerApproval }, { untilApprovalRecorded }] = await Promise.all([
      import('../../actors/policy/approvals.js'),
      import('./recorded.js'),
    ]);
    await untilApprovalRecorded(this.#ctx, events, approvalId);
    const approval = await answerApproval(
      events,
      link?.bus,
      settings.ns,
      approvalId,
      { ...a, by: who.by },
      { clock: this.#ctx.clock, producer: who.producer },
    );
    await link?.bus.flush();
    return { approval, delivered: link !== undefined };
  }
}
