import type { EventData } from '../../contracts/events/catalog.js';
import { runStream } from '../../contracts/events/streams.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { LATE_ANSWER_TYPES } from '../engine/late-facts.js';
import { readCompletion } from '../run-completion.js';
import type { PreparedRun } from './prepare-run.js';

/** A run requested and not started yet (job at its concurrency limit). */
export interface QueuedRun {
  runId: RunId;
  jobId: string;
  requested: EventData<'run.requested'>;
  /** Prepared in this process; absent after a restart (re-prepared when it starts). */
  prepared?: PreparedRun;
}

/**
 * The scheduler's view of the runs it admits: per job, the active runs (started, not
 * completed) and the FIFO queue of requested runs waiting for capacity. Rebuilt from the log
 * on start (`rebuildRunIndex`).
 */
export class RunIndex {
  readonly #active = new Map<string, Set<RunId>>();
  readonly #queued = new Map<string, QueuedRun[]>();
  /** runId -> jobId for every active or queued run. */
  readonly #jobOf = new Map<RunId, string>();

  activeCount(jobId: string): number {
    return this.#active.get(jobId)?.size ?? 0;
  }

  queue(jobId: string): readonly QueuedRun[] {
    return this.#queued.get(jobId) ?? [];
  }

  has(runId: RunId): boolean {
    return this.#jobOf.has(runId);
  }

  jobOf(runId: RunId): string | undefined {
    return this.#jobOf.get(runId);
  }

  isActive(runId: RunId): boolean {
    const jobId = this.#jobOf.get(runId);
    return jobId !== undefined && (this.#active.get(jobId)?.has(runId) ?? false);
  }

  activeRuns(): { runId: RunId; jobId: string }[] {
    return [...this.#active].flatMap(([jobId, runs]) => [...runs].map((runId) => ({ runId, jobId })));
  }

  /** Jobs with at least one queued run. */
  queuedJobs(): string[] {
    return [...this.#queued].filter(([, q]) => q.length > 0).map(([jobId]) => jobId);
  }

  counts(): { active: number; queued: number } {
    let active = 0;
    let queued = 0;
    for (const s of this.#active.values()) active += s.size;
    for (const q of this.#queued.values()) queued += q.length;
    return { active, queued };
  }

  markActive(runId: RunId, jobId: string): void {
    this.removeQueued(runId);
    let set = this.#active.get(jobId);
    if (!set) {
      set = new Set();
      this.#active.set(jobId, set);
    }
    set.add(runId);
    this.#jobOf.set(runId, jobId);
  }

  enqueue(run: QueuedRun): void {
    const q = this.#queued.get(run.jobId) ?? [];
    q.push(run);
    this.#queued.set(run.jobId, q);
    this.#jobOf.set(run.runId, run.jobId);
  }

  /** Takes the head of a job's queue. */
  shift(jobId: string): QueuedRun | undefined {
    const head = this.#queued.get(jobId)?.shift();
    if (head) this.#jobOf.delete(head.runId);
    return head;
  }

  /** Puts a run back at the head of its job's queue (its start was deferred). */
  unshift(run: QueuedRun): void {
    const q = this.#queued.get(run.jobId) ?? [];
    q.unshift(run);
    this.#queued.set(run.jobId, q);
    this.#jobOf.set(run.runId, run.jobId);
  }

  /** Removes a queued run; returns it when it was queued. */
  removeQueued(runId: RunId): QueuedRun | undefined {
    const jobId = this.#jobOf.get(runId);
    const q = jobId === undefined ? undefined : this.#queued.get(jobId);
    const i = q?.findIndex((r) => r.runId === runId) ?? -1;
    if (!q || i < 0) return undefined;
    const [run] = q.splice(i, 1);
    this.#jobOf.delete(runId);
    return run;
  }

  /** Forgets an active run; returns its job when it was active. */
  finish(runId: RunId): string | undefined {
    const jobId = this.#jobOf.get(runId);
    if (jobId === undefined || !this.#active.get(jobId)?.delete(runId)) return undefined;
    this.#jobOf.delete(runId);
    return jobId;
  }
}

export type RunProgress = 'missing' | 'requested' | 'started' | 'completed';

/** Where a run is, from its own stream: not there, requested only, started, or completed. */
export const runProgress = async (store: EventStore, runId: RunId): Promise<RunProgress> => {
  const stream = runStream(runId);
  const [last] = await store.readStream(stream, { direction: 'backward', limit: 1 });
  if (!last) return 'missing';
  if (last.type === 'run.completed') return 'completed';
  if (last.type === 'run.started') return 'started';
  // Answers to dispatches a run cancelled as it ended may follow its run.completed.
  if (LATE_ANSWER_TYPES.has(last.type) && (await readCompletion(store, stream))) return 'completed';
  // run.started follows run.requested (and run.forked) at the head of the stream.
  const head = await store.readStream(stream, { limit: 4 });
  return head.some((e) => e.type === 'run.started') ? 'started' : 'requested';
};

/** What the job streams say after a restart. */
export interface RebuiltState {
  /** Runs started and not completed, per job. */
  active: { runId: RunId; jobId: string }[];
  /** Runs requested and not started, in request order (their run stream exists). */
  queued: EventData<'run.requested'>[];
  /** Requested in the job stream but missing their run stream (a crash between the appends). */
  orphans: EventData<'run.requested'>[];
  /** jobId -> scheduledAt of the last `schedule.ticked`. */
  cursors: Map<string, number>;
}

/**
 * Rebuilds the scheduler's state from the log: every `run.requested` of every `job/` stream,
 * checked against its run stream, and the last tick of each job.
 */
export const rebuildRunIndex = async (store: EventStore): Promise<RebuiltState> => {
  const state: RebuiltState = { active: [], queued: [], orphans: [], cursors: new Map() };
  for (const stream of await store.listStreams('job/')) {
    const jobId = stream.slice(4);
    for (const e of await store.readStream(stream)) {
      if (e.type === 'schedule.ticked') {
        state.cursors.set(jobId, (e.data as EventData<'schedule.ticked'>).scheduledAt);
        continue;
      }
      if (e.type !== 'run.requested') continue;
      const requested = e.data as EventData<'run.requested'>;
      // The store edge: a run id read back from the log is parsed (one that is not a run id never started).
      if (!isRunId(requested.runId)) continue;
      const progress = await runProgress(store, requested.runId);
      if (progress === 'started') state.active.push({ runId: requested.runId, jobId });
      else if (progress === 'requested') state.queued.push(requested);
      else if (progress === 'missing') state.orphans.push(requested);
    }
  }
  return state;
};
