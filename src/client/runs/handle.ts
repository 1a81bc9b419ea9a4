import type { ResolveAnswer } from '../../actors/engine/resolve-fact.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { JsonObject } from '../../contracts/json.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';
import type { EngineMode } from '../connection/live-target.js';
import type { ClientContext } from '../context.js';
import type { CancelReceipt } from './cancel.js';
import type { RunGraph } from './graph.js';
import type { ReceiptView } from './receipt.js';
import type { ReplayReport } from './replay.js';
import type { RerunOf, RunRequestOptions } from './request.js';
import type { RerunPreview } from './rerun-preview.js';
import type { RunResult } from './result.js';

/** A run as it is now: its receipt folded from the log, and how many of its plan's steps succeeded. */
export interface RunDescription {
  receipt: RunReceipt;
  steps: { ok: number; total: number };
}

/** What `resolve` recorded. */
export interface ResolveReceipt {
  runId: string;
  dispatchId: string;
  stepId: string;
  answer: 'step.succeeded' | 'step.failed';
  by: string;
  /** The answer is in the run's log (false: the run no longer waited on the dispatch, and ignored it). */
  recorded: boolean;
}

/** How `RunHandle.follow()` reads a run: from where, and for how long. */
export interface FollowRunOptions {
  /** First seq to deliver (default 1: every event of the run). */
  fromSeq?: number;
  /** Stops the follow early. */
  signal?: AbortSignal;
}

/** How long `resolve` waits for the engine to record the answer. */

const isCompletion = (e: StoredEvent): boolean => e.type === 'run.completed';

/**
 * One run, by id: read it, wait for it, control it. Like Temporal's `WorkflowHandle`, a handle
 * does no I/O until a method is called; a method on a run the log does not hold throws
 * `run_not_found`. Reads go to the log (LMDB); the bus only wakes readers up.
 *
 * @example
 * const handle = await client.runs.submit('hello');
 * for await (const e of handle.follow()) console.log(e.seq, e.type);
 * const { status, envelope } = await handle.result();
 */
export class RunHandle {
  readonly #ctx: ClientContext;
  readonly runId: string;
  #jobId: string | undefined;
  /** The engine that took the run, when this client submitted it. */
  readonly engine: EngineMode | undefined;
  /** True when this client's request found the run an earlier request with its idempotency key started. */
  readonly existing: boolean;
  /** What the engine said when it accepted the request (a deprecated job kind), when submitted here. */
  readonly warnings: readonly string[];

  /** @internal Made by `client.runs`. */
  constructor(
    ctx: ClientContext,
    runId: string,
    o: { jobId?: string; engine?: EngineMode; existing?: boolean; warnings?: readonly string[] } = {},
  ) {
    this.#ctx = ctx;
    this.runId = runId;
    this.#jobId = o.jobId;
    this.engine = o.engine;
    this.existing = o.existing === true;
    this.warnings = o.warnings ?? [];
  }

  /** The run's job, when known without reading the log (a submitted run). */
  get jobId(): string | undefined {
    return this.#jobId;
  }

  /**
   * Every event the log holds for the run now, in seq order. Throws `run_not_found`.
   *
   * @example
   * const events = await client.runs.get(runId).events();
   */
  async events(): Promise<StoredEvent[]> {
    const { readRun } = await import('./read.js');
    const list = await readRun((await this.#ctx.stores()).events, this.runId);
    this.#jobId ??= (list[0]?.data as { jobId?: string } | undefined)?.jobId;
    return list;
  }

  /**
   * The run's events from `fromSeq` on as they are appended, ending after `run.completed`
   * (at once for a finished run). Read from the log; a NATS subscription to the run's events
   * (when NATS runs) wakes the reader, and a re-read every second covers what the at-most-once
   * bus may drop. Throws `run_not_found` before the first event for an unknown run.
   *
   * @example
   * for await (const e of handle.follow()) if (e.type === 'step.failed') console.warn(e.data);
   */
  async *follow(o: FollowRunOptions = {}): AsyncGenerator<StoredEvent, void, undefined> {
    const [{ followStream }, { watchLog }, { runEventsPattern }, { parseJobId, parseRunId }] =
      await Promise.all([
        import('./follow.js'),
        import('./wake.js'),
        import('../../actors/subjects.js'),
        import('../../contracts/ids.js'),
      ]);
    if (this.#jobId === undefined) await this.events();
    const store = (await this.#ctx.stores()).events;
    const observer = await this.#ctx.observerBus();
    const pattern = observer
      ? runEventsPattern(observer.ns, parseJobId(this.#jobId ?? ''), parseRunId(this.runId))
      : undefined;
    const wake = await watchLog(observer?.bus, pattern);
    yield* followStream(store, `run/${this.runId}`, {
      wake,
      until: isCompletion,
      ...(o.fromSeq !== undefined ? { fromSeq: o.fromSeq } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  }

  /**
   * Waits for the run to end and returns its result: one fold of its log. A failed run is a
   * result too (`status: 'failed'`, its error in `error`), as is a cancelled one. `onEvent`
   * sees every event on the way (progress displays), in seq order.
   *
   * @example
   * const r = await handle.result();
   * if (r.status === 'failed') throw r.error;
   */
  async result(o: { onEvent?: (e: StoredEvent) => void; signal?: AbortSignal } = {}): Promise<RunResult> {
    const events: StoredEvent[] = [];
    for await (const e of this.follow(o.signal ? { signal: o.signal } : {})) {
      events.push(e);
      o.onEvent?.(e);
    }
    const { runResult } = await import('./result.js');
    return runResult(events, (await this.#ctx.stores()).runsDir, this.engine);
  }

  /**
   * The run as the log has it now: its receipt and how many plan steps succeeded.
   *
   * @example
   * const { receipt } = await client.runs.get(runId).describe();
   */
  async describe(): Promise<RunDescription> {
    const [events, { projectReceipt }, { planStepCount }] = await Promise.all([
      this.events(),
      import('../../eventstore/projections/receipt.js'),
      import('./read.js'),
    ]);
    const receipt = projectReceipt(events);
    return {
      receipt,
      steps: {
        ok: receipt.steps.filter((s) => s.status === 'succeeded').length,
        total: planStepCount(events, receipt),
      },
    };
  }

  /**
   * The receipt rebuilt from the log and where its files live; with `rebuild` the files are
   * rewritten and compared byte for byte. Throws `run_not_found`, `eventstore_unavailable`.
   *
   * @example
   * const { rebuild } = await handle.receipt({ rebuild: true });
   */
  async receipt(o: { rebuild?: boolean } = {}): Promise<ReceiptView> {
    const events = await this.events();
    const { runReceiptView } = await import('./receipt.js');
    return runReceiptView(this.runId, events, (await this.#ctx.stores()).runsDir, o);
  }

  /**
   * Replays the run's log through the program of its pinned plan; `verify` checks every
   * recorded command. Throws `run_not_found`, `replay_nondeterministic`, `replay_plan_drift`.
   *
   * @example
   * await handle.replay({ verify: true });
   */
  async replay(o: { verify?: boolean } = {}): Promise<ReplayReport> {
    const catalog = await this.#ctx.catalog();
    const events = await this.events();
    const { replayRun } = await import('./replay.js');
    return replayRun(catalog, this.runId, events, o);
  }

  /**
   * The run's machine for drawing: the steps of its pinned plan (needs, routes, gates,
   * partitions, approvals), each step's lifecycle states and edges, and the state the log has
   * folded each step to now. Null for a run only requested (no plan pinned yet). Throws
   * `run_not_found`.
   *
   * @example
   * const graph = await handle.graph();
   * const active = graph?.steps.filter((s) => s.state === 'dispatched');
   */
  async graph(): Promise<RunGraph | null> {
    const catalog = await this.#ctx.catalog();
    const events = await this.events();
    const { runGraph } = await import('./graph.js');
    return runGraph(catalog, events);
  }

  /**
   * What `rerun(o)` would do, without doing it. A fork (`fromStep` or `gatesOnly`) is derived
   * from the parent's pinned plan and log as the scheduler derives it (which steps are
   * memoized, which run again); a fresh re-run compiles the job as it is now and runs every
   * step with the parent's input merged with `input`. Throws `run_not_found`, `usage_invalid`
   * (an unknown step; input given to a fork), and what compiling the job throws.
   *
   * @example
   * const { memoized, rerun } = await handle.previewRerun({ fromStep: 'deploy' });
   */
  async previewRerun(
    o: { fromStep?: string; gatesOnly?: boolean; input?: JsonObject } = {},
  ): Promise<RerunPreview> {
    const events = await this.events();
    const catalog = await this.#ctx.catalog();
    const { previewFork, previewFresh } = await import('./rerun-preview.js');
    if (o.fromStep !== undefined || o.gatesOnly === true) {
      if (o.input !== undefined && Object.keys(o.input).length > 0) {
        throw new LilyError(
          'usage_invalid',
          'a fork re-runs with its parent run input; no input may be given',
          {
            runId: this.runId,
          },
        );
      }
      return previewFork(catalog, this.runId, events, o);
    }
    const jobId = (events[0]?.data as { jobId?: string } | undefined)?.jobId ?? '';
    const project = await this.#ctx.project();
    return previewFresh(project, this.runId, jobId, events, o.input ?? {});
  }

  /**
   * Asks the engine to cancel the run. Throws `run_already_finished` (with `data.status`) when
   * the log says the run has ended, `run_not_found`; for a run still going it needs a running
   * engine (this client's ephemeral one, a deployment, or the configured NATS): `bus_unavailable`
   * otherwise.
   *
   * @example
   * await handle.cancel({ reason: 'wrong input' });
   */
  async cancel(o: { reason?: string; by?: string } = {}): Promise<CancelReceipt> {
    const events = await this.events();
    const done = events.find((e) => e.type === 'run.completed');
    if (done) {
      const status = (done.data as { status?: string }).status ?? 'completed';
      throw new LilyError('run_already_finished', `run ${this.runId} has already finished (${status})`, {
        runId: this.runId,
        status,
      });
    }
    const link = await this.#ctx.requireEngine('cancelling a run');
    const { requestCancel } = await import('./cancel.js');
    return requestCancel(link, this.runId, {
      by: this.#ctx.actor(o.by).by,
      ...(o.reason ? { reason: o.reason } : {}),
    });
  }

  /**
   * Answers for a dispatch whose outcome is unknown (`step.indeterminate`, or a timed-out
   * non-idempotent step): the effect happened (`succeeded`, with the step output) or did not
   * (`failed`: the step fails without retry). The answer is a request to the engine
   * (`cmd.answer`), which checks that the run's log recorded the dispatch and no answer yet,
   * records the answer and hands it to the run. Throws `run_not_found` (no such run or
   * dispatch), `usage_invalid` (already answered), `bus_unavailable`.
   *
   * @example
   * await handle.resolve(`${runId}/deploy/1`, { outcome: 'failed', reason: 'not applied' });
   */
  async resolve(dispatchId: string, answer: ResolveAnswer, o: { by?: string } = {}): Promise<ResolveReceipt> {
    await this.events();
    const who = this.#ctx.actor(o.by);
    const link = await this.#ctx.requireEngine('resolving a step');
    const { sendAnswer } = await import('./answer-request.js');
    const result = await sendAnswer(link, {
      type: 'run.resolve',
      runId: this.runId,
      dispatchId,
      outcome: answer.outcome,
      by: who.by,
      ...(answer.outcome === 'succeeded' && answer.output !== undefined ? { output: answer.output } : {}),
      ...(answer.outcome === 'failed' ? { reason: answer.reason } : {}),
    });
    const r = result.resolved as Omit<ResolveReceipt, 'runId'>;
    return { ...r, runId: this.runId };
  }

  /**
   * A new run of this run's job through the scheduler; a fork with `fromStep` (the outputs of
   * the steps before it are reused) or `gatesOnly`. Same engine rules as `runs.submit`.
   *
   * @example
   * const child = await handle.rerun({ fromStep: 'deploy' });
   */
  async rerun(o: RunRequestOptions & Omit<RerunOf, 'parentRunId'> = {}): Promise<RunHandle> {
    const events = await this.events();
    const jobId = (events[0]?.data as { jobId?: string } | undefined)?.jobId ?? '';
    const { submitRequest } = await import('./submit.js');
    const { fromStep, gatesOnly, ...request } = o;
    const submitted = await submitRequest(this.#ctx, jobId, request, {
      parentRunId: this.runId,
      ...(fromStep !== undefined ? { fromStep } : {}),
      ...(gatesOnly !== undefined ? { gatesOnly } : {}),
    });
    return new RunHandle(this.#ctx, submitted.runId, submitted);
  }
}
