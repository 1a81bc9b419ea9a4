/**
 * A run's timeline, folded from its events: one row per step (plus one per shard of a
 * partition and per gate), each a list of segments (policy check, approval wait, queued,
 * running, retry backoff, gate, partition planning, an unknown outcome waiting for an
 * operator) and marks (deadlines, skips, memoized steps). Pure: the page draws it as a Gantt
 * chart; the same events always give the same timeline.
 */

/** The fields of a stored event the timeline reads. */
export interface TimelineEvent {
  seq: number;
  type: string;
  at: number;
  data: unknown;
}

export type SegmentKind =
  | 'policy'
  | 'approval'
  | 'queued'
  | 'running'
  | 'backoff'
  | 'gate'
  | 'partition'
  | 'unknown';

export interface Segment {
  kind: SegmentKind;
  from: number;
  /** Null while it is still open (the run goes on): drawn up to now. */
  to: number | null;
  /** How it ended: succeeded, failed, timed_out, indeterminate, passed, granted, denied, allow, ... or `open`. */
  outcome: string;
  attempt: number | null;
  /** One line: what it is (`attempt 2 on worker 1`, `backoff 600 ms`, `gate lint`). */
  label: string;
  /** The seq of the event that opened it, and of the one that closed it. */
  seq: number;
  endSeq: number | null;
  /** A step timeout's deadline for this dispatch, when one was scheduled. */
  deadline: number | null;
}

export type MarkKind = 'skipped' | 'memoized' | 'timeout' | 'cancel' | 'requested' | 'started' | 'completed';

export interface Mark {
  kind: MarkKind;
  at: number;
  label: string;
  seq: number;
}

export interface TimelineRow {
  key: string;
  stepId: string;
  kind: 'step' | 'shard' | 'gate';
  label: string;
  segments: Segment[];
  marks: Mark[];
}

export interface Timeline {
  start: number;
  /** The run's end, or `now` while it runs. */
  end: number;
  /** True while the run has not completed. */
  open: boolean;
  status: string;
  rows: TimelineRow[];
  /** Run-level marks: requested, started, cancel requested, completed. */
  marks: Mark[];
}

interface D {
  stepId?: string;
  attempt?: number;
  dispatchId?: string;
  shard?: string;
  worker?: string;
  gateId?: string;
  approvalId?: string;
  decision?: string;
  delayMs?: number;
  nextAttempt?: number;
  timeoutMs?: number;
  purpose?: string;
  fireAt?: number;
  reason?: string;
  status?: string;
  by?: string;
  shards?: { key: string }[];
  partitioner?: string;
  executor?: string;
  memoized?: string[];
  plan?: { steps?: { id: string }[] };
  error?: { code?: string; message?: string };
}

class Builder {
  readonly rows = new Map<string, TimelineRow>();
  readonly open = new Map<string, Segment>();
  readonly marks: Mark[] = [];
  /** dispatchId -> row key, so answers land on the row their dispatch opened. */
  readonly rowOfDispatch = new Map<string, string>();
  /** step/attempt -> step timeout deadline, attached to the dispatch opened for it. */
  readonly deadlines = new Map<string, number>();
  stepOrder: string[] = [];

  row(stepId: string, sub?: { kind: 'shard' | 'gate'; id: string }): TimelineRow {
    const key =
      sub === undefined ? stepId : `${stepId}${sub.kind === 'shard' ? `[${sub.id}]` : `:${sub.id}`}`;
    let r = this.rows.get(key);
    if (!r) {
      r = {
        key,
        stepId,
        kind: sub?.kind ?? 'step',
        label: sub === undefined ? stepId : sub.kind === 'shard' ? `shard ${sub.id}` : `gate ${sub.id}`,
        segments: [],
        marks: [],
      };
      this.rows.set(key, r);
      if (sub === undefined && !this.stepOrder.includes(stepId)) this.stepOrder.push(stepId);
    }
    return r;
  }

  begin(key: string, row: TimelineRow, s: Omit<Segment, 'to' | 'outcome' | 'endSeq'>): void {
    const seg: Segment = { ...s, to: null, outcome: 'open', endSeq: null };
    row.segments.push(seg);
    this.open.set(key, seg);
  }

  end(key: string, at: number, outcome: string, seq: number): Segment | undefined {
    const seg = this.open.get(key);
    if (!seg) return undefined;
    seg.to = at;
    seg.outcome = outcome;
    seg.endSeq = seq;
    this.open.delete(key);
    return seg;
  }

  dispatchRow(d: D): TimelineRow {
    const stepId = d.stepId ?? '?';
    return d.shard !== undefined ? this.row(stepId, { kind: 'shard', id: d.shard }) : this.row(stepId);
  }
}

const answer = (b: Builder, e: TimelineEvent, d: D, outcome: string): void => {
  const id = d.dispatchId ?? '';
  b.end(`d|${id}`, e.at, outcome, e.seq);
  const unknown = b.end(`u|${id}`, e.at, outcome, e.seq);
  if (outcome === 'indeterminate' && !unknown) {
    const row = b.rows.get(b.rowOfDispatch.get(id) ?? '') ?? b.dispatchRow(d);
    b.begin(`u|${id}`, row, {
      kind: 'unknown',
      from: e.at,
      attempt: d.attempt ?? null,
      label: `attempt ${d.attempt ?? '?'}: outcome unknown, waiting for an operator`,
      seq: e.seq,
      deadline: null,
    });
  }
};

const onDispatch = (b: Builder, e: TimelineEvent, d: D): void => {
  const row = b.dispatchRow(d);
  const id = d.dispatchId ?? '';
  b.rowOfDispatch.set(id, row.key);
  b.end(`backoff|${row.key}`, e.at, 'fired', e.seq);
  b.begin(`d|${id}`, row, {
    kind: 'queued',
    from: e.at,
    attempt: d.attempt ?? null,
    label: `attempt ${d.attempt ?? '?'} queued for ${d.executor ?? 'an executor'}`,
    seq: e.seq,
    deadline: b.deadlines.get(`${d.stepId}/${d.attempt}`) ?? null,
  });
};

const onStarted = (b: Builder, e: TimelineEvent, d: D): void => {
  const id = d.dispatchId ?? '';
  const queued = b.end(`d|${id}`, e.at, 'started', e.seq);
  const row = b.rows.get(b.rowOfDispatch.get(id) ?? '') ?? b.dispatchRow(d);
  b.begin(`d|${id}`, row, {
    kind: 'running',
    from: e.at,
    attempt: d.attempt ?? null,
    label: `attempt ${d.attempt ?? '?'}${d.worker !== undefined ? ` on worker ${d.worker}` : ''}`,
    seq: e.seq,
    deadline: queued?.deadline ?? b.deadlines.get(`${d.stepId}/${d.attempt}`) ?? null,
  });
};

const onTimer = (b: Builder, _e: TimelineEvent, d: D): void => {
  if (d.purpose !== 'step_timeout' || d.stepId === undefined || d.fireAt === undefined) return;
  b.deadlines.set(`${d.stepId}/${d.attempt}`, d.fireAt);
  for (const seg of b.open.values()) {
    if ((seg.kind === 'queued' || seg.kind === 'running') && seg.attempt === (d.attempt ?? null)) {
      const row = [...b.rows.values()].find((r) => r.segments.includes(seg));
      if (row?.stepId === d.stepId) seg.deadline = d.fireAt;
    }
  }
};

const onRetry = (b: Builder, e: TimelineEvent, d: D): void => {
  const row = b.dispatchRow(d);
  b.begin(`backoff|${row.key}`, row, {
    kind: 'backoff',
    from: e.at,
    attempt: d.nextAttempt ?? null,
    label: `backoff ${d.delayMs ?? 0} ms before attempt ${d.nextAttempt ?? '?'}`,
    seq: e.seq,
    deadline: null,
  });
};

const onGate = (b: Builder, e: TimelineEvent, d: D): void => {
  const row = b.row(d.stepId ?? '?', { kind: 'gate', id: d.gateId ?? '?' });
  if (e.type === 'gate.dispatched') {
    b.begin(`g|${d.dispatchId}|${d.gateId}`, row, {
      kind: 'gate',
      from: e.at,
      attempt: d.attempt ?? null,
      label: `gate ${d.gateId} after attempt ${d.attempt ?? '?'}`,
      seq: e.seq,
      deadline: null,
    });
  } else {
    b.end(`g|${d.dispatchId}|${d.gateId}`, e.at, e.type === 'gate.passed' ? 'passed' : 'failed', e.seq);
  }
};

const onPolicy = (b: Builder, e: TimelineEvent, d: D): void => {
  const key = `p|${d.stepId}#${d.attempt}`;
  if (e.type === 'policy.requested') {
    b.begin(key, b.row(d.stepId ?? '?'), {
      kind: 'policy',
      from: e.at,
      attempt: d.attempt ?? null,
      label: `policy check for attempt ${d.attempt ?? '?'}`,
      seq: e.seq,
      deadline: null,
    });
  } else {
    b.end(key, e.at, d.decision ?? 'decided', e.seq);
  }
};

const onApproval = (b: Builder, e: TimelineEvent, d: D): void => {
  const key = `a|${d.approvalId}`;
  if (e.type === 'approval.requested') {
    b.begin(key, b.row(d.stepId ?? '?'), {
      kind: 'approval',
      from: e.at,
      attempt: d.attempt ?? null,
      label: `waiting for approval${d.reason ? `: ${d.reason}` : ''}`,
      seq: e.seq,
      deadline: null,
    });
  } else {
    const seg = b.end(key, e.at, e.type === 'approval.granted' ? 'granted' : 'denied', e.seq);
    if (seg && d.by)
      seg.label = `${seg.label} (${e.type === 'approval.granted' ? 'granted' : 'denied'} by ${d.by})`;
  }
};

const onPartition = (b: Builder, e: TimelineEvent, d: D): void => {
  const key = `part|${d.stepId}#${d.attempt}`;
  if (e.type === 'partition.requested') {
    b.begin(key, b.row(d.stepId ?? '?'), {
      kind: 'partition',
      from: e.at,
      attempt: d.attempt ?? null,
      label: `partitioning with ${d.partitioner ?? 'a partitioner'}`,
      seq: e.seq,
      deadline: null,
    });
    return;
  }
  const seg = b.end(key, e.at, 'planned', e.seq);
  const shards = d.shards ?? [];
  if (seg) seg.label = `${shards.length} shard(s) from ${d.partitioner ?? 'the partitioner'}`;
  for (const s of shards) b.row(d.stepId ?? '?', { kind: 'shard', id: s.key });
};

const runMark = (b: Builder, kind: MarkKind, e: TimelineEvent, label: string): void => {
  b.marks.push({ kind, at: e.at, label, seq: e.seq });
};

const onCompleted = (b: Builder, e: TimelineEvent, d: D): void => {
  runMark(b, 'completed', e, d.status ?? 'completed');
  const outcome = d.status === 'cancelled' ? 'cancelled' : 'abandoned';
  for (const key of [...b.open.keys()]) b.end(key, e.at, outcome, e.seq);
};

const RUN_HANDLERS: Record<string, (b: Builder, e: TimelineEvent, d: D) => void> = {
  'run.requested': (b, e) => runMark(b, 'requested', e, 'requested'),
  'run.started': (b, e, d) => {
    b.stepOrder = (d.plan?.steps ?? []).map((s) => s.id);
    for (const id of b.stepOrder) b.row(id);
    runMark(b, 'started', e, 'started');
  },
  'run.forked': (b, e, d) => {
    for (const id of d.memoized ?? []) {
      b.row(id).marks.push({
        kind: 'memoized',
        at: e.at,
        label: 'output reused from the parent run',
        seq: e.seq,
      });
    }
  },
  'run.cancel_requested': (b, e, d) =>
    runMark(b, 'cancel', e, `cancel requested${d.by ? ` by ${d.by}` : ''}${d.reason ? `: ${d.reason}` : ''}`),
  'run.completed': onCompleted,
};

const answerWith =
  (outcome: string) =>
  (b: Builder, e: TimelineEvent, d: D): void =>
    answer(b, e, d, outcome);

/** Which fold step each event type takes; types not listed change nothing on the timeline. */
const HANDLERS: Record<string, (b: Builder, e: TimelineEvent, d: D) => void> = {
  ...RUN_HANDLERS,
  'step.succeeded': answerWith('succeeded'),
  'step.failed': answerWith('failed'),
  'step.timed_out': answerWith('timed_out'),
  'step.indeterminate': answerWith('indeterminate'),
  'policy.requested': onPolicy,
  'policy.decided': onPolicy,
  'approval.requested': onApproval,
  'approval.granted': onApproval,
  'approval.denied': onApproval,
  'gate.dispatched': onGate,
  'gate.passed': onGate,
  'gate.failed': onGate,
  'partition.requested': onPartition,
  'partition.planned': onPartition,
  'step.dispatched': onDispatch,
  'step.started': onStarted,
  'step.retry_scheduled': onRetry,
  'timer.scheduled': onTimer,
  'step.skipped': (b, e, d) => {
    b.row(d.stepId ?? '?').marks.push({
      kind: 'skipped',
      at: e.at,
      label: `skipped: ${d.reason ?? ''}`,
      seq: e.seq,
    });
  },
};

const apply = (b: Builder, e: TimelineEvent): void => {
  HANDLERS[e.type]?.(b, e, (e.data ?? {}) as D);
};

/** Rows in plan order, each step followed by its shards and gates. */
const ordered = (b: Builder): TimelineRow[] => {
  const out: TimelineRow[] = [];
  const all = [...b.rows.values()];
  for (const stepId of b.stepOrder) {
    const main = b.rows.get(stepId);
    if (main) out.push(main);
    out.push(...all.filter((r) => r.stepId === stepId && r.kind !== 'step'));
  }
  out.push(...all.filter((r) => !b.stepOrder.includes(r.stepId)));
  return out;
};

/**
 * The timeline of a run's events (in seq order). `now` closes nothing: open segments keep
 * `to: null`, and `end` is `now` while the run has not completed.
 */
export const buildTimeline = (events: readonly TimelineEvent[], now: number): Timeline => {
  const b = new Builder();
  for (const e of events) apply(b, e);
  const completed = events.findLast((e) => e.type === 'run.completed');
  const start = events[0]?.at ?? now;
  const end = completed?.at ?? Math.max(now, events.at(-1)?.at ?? now);
  for (const row of b.rows.values()) {
    for (const seg of row.segments) {
      if (seg.outcome === 'timed_out' && seg.to !== null) {
        row.marks.push({
          kind: 'timeout',
          at: seg.to,
          label: `attempt ${seg.attempt ?? '?'} timed out`,
          seq: seg.endSeq ?? seg.seq,
        });
      }
    }
  }
  return {
    start,
    end,
    open: completed === undefined,
    status:
      (completed?.data as D | undefined)?.status ??
      (events.some((e) => e.type === 'run.started') ? 'running' : 'requested'),
    rows: ordered(b),
    marks: b.marks,
  };
};
