import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import { runStream } from '../../contracts/events/streams.js';
import { isRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { Bus, BusMessage, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type AnswerMessage, answerMessageSchema } from '../messages.js';
import { type ApprovalView, answerFact, recordApprovalAnswer } from '../policy/approvals.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { WorkSet } from '../runtime/work-set.js';
import { ANSWER_QUEUE, answerSubject } from '../subjects.js';
import { resolveFact } from './resolve-fact.js';

export interface AnswerDeskOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  /** The engine's run host (in-process). */
  inbox: RunInbox;
  producer?: string;
}

/** What `lily runs resolve` gets back: the fact the engine recorded for the dispatch. */
export interface ResolvedDispatch {
  runId: string;
  dispatchId: string;
  stepId: string;
  answer: 'step.succeeded' | 'step.failed';
  by: string;
  /** True once the run's log holds the answer (false: the run had moved on and ignored it). */
  recorded: boolean;
}

/**
 * The engine's desk for what people answer (`lily.<ns>.cmd.answer`, requests an operator
 * credential may send; workers may not): approval grants and denials, and the outcome of a
 * dispatch whose effect is unknown (`runs resolve`). An approval answer is appended to
 * `approval/<id>` against the stream's version (the first answer wins, a second is
 * `approval_answered`) and only then handed to the run, in-process, so the run follows exactly
 * what the approval stream records. A resolve must name a dispatch the run's log recorded and
 * not yet answered. Nothing of this travels to a run on the bus.
 */
export class AnswerDesk {
  readonly #o: AnswerDeskOptions;
  readonly #work = new WorkSet();
  readonly #producer: string;
  #sub: BusSubscription | undefined;

  constructor(options: AnswerDeskOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/answer-desk';
  }

  start(): void {
    this.#sub = this.#o.bus.subscribeTyped(
      answerSubject(this.#o.ns),
      answerMessageSchema,
      (msg, raw) => this.#work.track(this.#handle(msg, raw)),
      { queue: ANSWER_QUEUE },
    );
  }

  async #handle(msg: AnswerMessage, raw: BusMessage): Promise<void> {
    try {
      const result =
        msg.type === 'approval.answer'
          ? { approval: await this.answerApproval(msg) }
          : { resolved: await this.resolve(msg) };
      raw.respond({ ok: true, result });
    } catch (e) {
      const error = errorInfo(e);
      this.#o.log.warn(
        { event: 'answer.refused', type: msg.type, error },
        `${msg.type} refused: ${error.message}`,
      );
      raw.respond({ ok: false, error });
    }
  }

  /**
   * Records a person's answer to an approval, then delivers it to the run. Throws
   * `approval_not_found`, `approval_answered`.
   */
  async answerApproval(msg: Extract<AnswerMessage, { type: 'approval.answer' }>): Promise<ApprovalView> {
    const { approval, event } = await recordApprovalAnswer(
      this.#o.store,
      msg.approvalId,
      {
        granted: msg.granted,
        by: msg.by,
        ...(msg.comment !== undefined ? { comment: msg.comment } : {}),
        ...(msg.reason !== undefined ? { reason: msg.reason } : {}),
      },
      { clock: this.#o.clock, producer: `${this.#producer}/${msg.by}` },
    );
    this.#o.log.info(
      { event: 'approval.answered', approvalId: msg.approvalId, status: approval.status, by: msg.by },
      `approval ${msg.approvalId} ${approval.status} by ${msg.by}`,
    );
    // The run id is read back from the approval stream (the store edge): parsed before it is used.
    if (isRunId(approval.runId)) {
      await this.#o.inbox.deliver(approval.runId, [answerFact(event, this.#producer)]);
    }
    return approval;
  }

  /**
   * Answers for a dispatch whose outcome is unknown, as its worker would have. Throws
   * `run_not_found` (no such run or dispatch), `usage_invalid` (already answered).
   */
  async resolve(msg: Extract<AnswerMessage, { type: 'run.resolve' }>): Promise<ResolvedDispatch> {
    const { runId } = msg;
    if (!isRunId(runId)) throw new LilyError('run_not_found', `no run ${runId}`, { runId });
    const events = await this.#o.store.readStream(runStream(runId));
    if (events.length === 0) throw new LilyError('run_not_found', `no run ${runId}`, { runId });
    const answer =
      msg.outcome === 'succeeded'
        ? { outcome: 'succeeded' as const, ...(msg.output !== undefined ? { output: msg.output } : {}) }
        : { outcome: 'failed' as const, reason: msg.reason ?? 'resolved as failed' };
    const { fact, stepId } = resolveFact(runId, events, msg.dispatchId, answer, {
      by: msg.by,
      producer: `${this.#producer}/${msg.by}`,
      at: this.#o.clock.now(),
    });
    await this.#o.inbox.deliver(runId, [fact]);
    const after = await this.#o.store.readStream(runStream(runId), { fromSeq: events.length + 1 });
    const recorded = after.some((e) => e.id === fact.id);
    this.#o.log.info(
      {
        event: 'dispatch.resolved',
        runId,
        dispatchId: msg.dispatchId,
        answer: fact.type,
        by: msg.by,
        recorded,
      },
      `${msg.dispatchId} resolved as ${msg.outcome} by ${msg.by}`,
    );
    return {
      runId,
      dispatchId: msg.dispatchId,
      stepId,
      answer: fact.type === 'step.succeeded' ? 'step.succeeded' : 'step.failed',
      by: msg.by,
      recorded,
    };
  }

  /** Drains the subscription and waits for the answers in hand. */
  async stop(): Promise<void> {
    await this.#sub?.drain();
    this.#sub = undefined;
    await this.#work.idle();
  }
}
