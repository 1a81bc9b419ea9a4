import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { approvalStream } from '../../contracts/events/streams.js';
import { type EventStore, isVersionConflict } from '../../eventstore/event-store.js';
import { systemClock } from '../../eventstore/system-ports.js';
import type { InboundEvent } from '../messages.js';

/**
 * Approvals (human in the loop). Each lives in its own stream `approval/<approvalId>`:
 * `approval.requested` (written by the policy gate), then at most one answer,
 * `approval.granted` or `approval.denied`, written by the engine alone (its answer desk, for a
 * person's request on `cmd.answer`). The answer is in the approval stream before the run
 * learns it, and the run learns only what is there: run and record agree.
 */
export type ApprovalStatus = 'pending' | 'granted' | 'denied';

/** An approval as `lily approvals list` shows it: its request, its answer if any, and whether the gate recorded it. */
export interface ApprovalView {
  approvalId: string;
  runId?: string;
  jobId?: string;
  stepId: string;
  attempt: number;
  reason: string;
  requestedAt: number;
  status: ApprovalStatus;
  /** Who answered, and when. */
  by?: string;
  answeredAt?: number;
  /** The comment of a grant or the reason of a denial. */
  note?: string;
}

export interface ApprovalAnswer {
  granted: boolean;
  by: string;
  comment?: string;
  /** Why it was denied (default: the comment, else `denied`). */
  reason?: string;
}

/** The answer event already in an approval stream, if any. */
export const findAnswer = (
  events: readonly StoredEvent[],
): StoredEvent<'approval.granted' | 'approval.denied'> | undefined =>
  events.find((e) => e.type === 'approval.granted' || e.type === 'approval.denied') as
    | StoredEvent<'approval.granted' | 'approval.denied'>
    | undefined;

const view = (events: readonly StoredEvent[]): ApprovalView | undefined => {
  const requested = events.find((e) => e.type === 'approval.requested');
  if (!requested) return undefined;
  const r = requested.data as EventData<'approval.requested'>;
  const answer = findAnswer(events);
  const base: ApprovalView = {
    approvalId: r.approvalId,
    ...(r.runId !== undefined ? { runId: r.runId } : {}),
    ...(r.jobId !== undefined ? { jobId: r.jobId } : {}),
    stepId: r.stepId,
    attempt: r.attempt,
    reason: r.reason,
    requestedAt: requested.at,
    status: 'pending',
  };
  if (!answer) return base;
  const a = answer.data as Partial<EventData<'approval.granted'> & EventData<'approval.denied'>>;
  const note = answer.type === 'approval.granted' ? a.comment : a.reason;
  return {
    ...base,
    status: answer.type === 'approval.granted' ? 'granted' : 'denied',
    ...(a.by !== undefined ? { by: a.by } : {}),
    answeredAt: answer.at,
    ...(note !== undefined ? { note } : {}),
  };
};

/** One approval, or undefined when no approval was requested under this id. */
export const readApproval = async (
  store: EventStore,
  approvalId: string,
): Promise<ApprovalView | undefined> => view(await store.readStream(approvalStream(approvalId)));

/** Every approval (pending and answered), oldest request first; `status` filters. */
export const listApprovals = async (
  store: EventStore,
  opts: { status?: ApprovalStatus } = {},
): Promise<ApprovalView[]> => {
  const out: ApprovalView[] = [];
  for (const stream of await store.listStreams('approval/')) {
    const v = view(await store.readStream(stream));
    if (v && (opts.status === undefined || v.status === opts.status)) out.push(v);
  }
  return out.sort((a, b) => a.requestedAt - b.requestedAt);
};

/** The inbox fact that tells a run about an answer (deterministic id: re-sends dedupe). */
export const answerFact = (
  answer: StoredEvent<'approval.granted' | 'approval.denied'> | { type: string; at: number; data: unknown },
  producer: string,
): InboundEvent => {
  const data = answer.data as { approvalId: string };
  const suffix = answer.type === 'approval.granted' ? 'granted' : 'denied';
  return {
    id: `${data.approvalId}/${suffix}`,
    type: answer.type,
    at: answer.at,
    data: answer.data,
    producer,
  };
};

/** An answer that was recorded: the approval as it is now, and the answer's event. */
export interface RecordedAnswer {
  approval: ApprovalView;
  event: { type: 'approval.granted' | 'approval.denied'; at: number; data: unknown };
}

/**
 * Grants or denies a pending approval: appends the answer to `approval/<id>` against the
 * stream's version, so of two answers the first wins and the second gets `approval_answered`.
 * The engine's answer desk calls it, then hands the recorded answer to the run (`answerFact`).
 *
 * Throws `approval_not_found` (no request under this id), `approval_answered` (already granted
 * or denied; `data.status` says which).
 *
 * @example
 * const { event } = await recordApprovalAnswer(store, id, { granted: true, by: 'alice', comment: 'ok' });
 */
export const recordApprovalAnswer = async (
  store: EventStore,
  approvalId: string,
  answer: ApprovalAnswer,
  opts: { clock?: Clock; producer?: string } = {},
): Promise<RecordedAnswer> => {
  const stream = approvalStream(approvalId);
  const events = await store.readStream(stream);
  const current = view(events);
  if (!current) {
    throw new LilyError('approval_not_found', `no approval ${approvalId}`, { approvalId });
  }
  if (current.status !== 'pending') {
    throw new LilyError('approval_answered', `approval ${approvalId} was already ${current.status}`, {
      approvalId,
      status: current.status,
      by: current.by ?? null,
    });
  }
  const at = (opts.clock ?? systemClock).now();
  const producer = opts.producer ?? 'engine/answer-desk';
  const base = { stepId: current.stepId, attempt: current.attempt, approvalId, by: answer.by };
  const event = answer.granted
    ? {
        id: `${approvalId}/granted`,
        type: 'approval.granted' as const,
        data: { ...base, ...(answer.comment !== undefined ? { comment: answer.comment } : {}) },
      }
    : {
        id: `${approvalId}/denied`,
        type: 'approval.denied' as const,
        data: { ...base, reason: answer.reason ?? answer.comment ?? 'denied' },
      };
  try {
    await store.append(
      stream,
      [{ ...event, at, meta: { producer, correlationId: current.runId ?? approvalId } }],
      {
        expectedVersion: events.length,
      },
    );
  } catch (e) {
    // Someone answered in between: report what they decided (approval_answered).
    if (isVersionConflict(e)) return recordApprovalAnswer(store, approvalId, answer, opts);
    throw e;
  }
  return { approval: (await readApproval(store, approvalId)) as ApprovalView, event: { ...event, at } };
};
