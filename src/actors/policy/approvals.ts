import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { approvalStream } from '../../contracts/events/streams.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import { type EventStore, isVersionConflict } from '../../eventstore/event-store.js';
import { systemClock } from '../../eventstore/system-ports.js';
import type { Bus } from '../bus/bus.js';
import type { InboundEvent } from '../messages.js';
import { inboxSubject } from '../subjects.js';

/**
 * Approvals (human in the loop). Each lives in its own stream `approval/<approvalId>`:
 * `approval.requested` (written by the policy gate), then at most one answer,
 * `approval.granted` or `approval.denied` (written by whoever answers: the CLI). The answer is
 * in the log before the run learns it; a run whose engine was down when a human answered
 * gets the answer when the engine comes back (the gate finds it in the stream).
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

/** Publishes an answer to the run's inbox (best effort: the gate re-delivers it from the log). */
export const deliverAnswer = (bus: Bus, ns: string, runId: RunId, fact: InboundEvent): void => {
  bus.publish(inboxSubject(ns, runId), { runId, events: [fact] });
};

/**
 * Grants or denies a pending approval: appends the answer to `approval/<id>` (checked against
 * the stream's version, so two answers never both land) and, with a bus, delivers it to the
 * run's inbox at once. Without a bus (engine down) the engine delivers it when it resumes.
 *
 * Throws `approval_not_found` (no request under this id), `approval_answered` (already granted
 * or denied; `data.status` says which).
 *
 * @example
 * await answerApproval(store, bus, 'default', id, { granted: true, by: 'alice', comment: 'ok' });
 */
export const answerApproval = async (
  store: EventStore,
  bus: Bus | undefined,
  ns: string,
  approvalId: string,
  answer: ApprovalAnswer,
  opts: { clock?: Clock; producer?: string } = {},
): Promise<ApprovalView> => {
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
  const producer = opts.producer ?? 'cli';
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
    // Someone answered in between: report what they decided.
    if (isVersionConflict(e)) return answerApproval(store, bus, ns, approvalId, answer, opts);
    throw e;
  }
  // The run id is read back from the approval stream (the store edge): parsed before it is used.
  if (bus && isRunId(current.runId))
    deliverAnswer(bus, ns, current.runId, answerFact({ ...event, at }, producer));
  return (await readApproval(store, approvalId)) as ApprovalView;
};
