import { setMaxListeners } from 'node:events';
import type { Catalog } from '../../blueprints/catalog.js';
import type { ArtifactStore } from '../../contracts/artifact-store.js';
import type { Clock } from '../../contracts/clock.js';
import type { ExecutorFn, PartitionerFn } from '../../contracts/executor.js';
import { RetryableStepError } from '../../contracts/executor.js';
import type { SpanContext, Tracer } from '../../contracts/tracing.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { CommandGuard } from '../executors/command-guard.js';
import type { DispatchLedger } from '../ledger/dispatch-ledger.js';
import type { Logger } from '../logger.js';
import { cancelMessageSchema, type ExecItem, execMessageSchema, type InboundEvent } from '../messages.js';
import type { WorkspaceRules } from '../policy/workspace.js';
import { cancelSubject, execQueue, execSubject } from '../subjects.js';
import { endDispatchSpan, startDispatchSpan } from '../tracing/dispatch-span.js';
import { type DispatchRef, dispatchRefOf } from '../trust/dispatch-kind.js';
import type { SealClaims, SealVerifier } from '../trust/dispatch-seal.js';
import { proveFact } from '../trust/reply-proof.js';
import { attemptContext } from './attempt-context.js';
import { BoundedQueue } from './bounded-queue.js';
import { type CancelReason, DispatchCancellations } from './cancellations.js';
import {
  type AttemptPlace,
  cancelledFact,
  type FactStamp,
  failureEndReason,
  failureFact,
  plannedFact,
  startedFacts,
  succeededFact,
} from './dispatch-facts.js';
import { dispatchIdOf, toRequest } from './dispatch-request.js';
import { startLedgerHeartbeat } from './ledger-heartbeat.js';
import { ReplyBatcher } from './reply-batcher.js';

export interface WorkerOptions {
  id: string;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  catalog: Catalog;
  executors: Readonly<Record<string, ExecutorFn>>;
  partitioners: Readonly<Record<string, PartitionerFn>>;
  artifacts: ArtifactStore;
  /** Verifies each dispatch's seal with the engine's public key (docs/decisions/030). */
  seals: SealVerifier;
  /** Shared across the deployment's workers: a dispatch's effect happens once per dispatch id. */
  ledger: DispatchLedger;
  /** How often the ledger's claims of running dispatches are refreshed (default 10 s). */
  ledgerHeartbeatMs?: number;
  workspace: string;
  workspaceRules: WorkspaceRules;
  /** The worker's own check of every command right before it starts (allowlist, env). */
  commands: CommandGuard;
  /** Dispatches run at once by this worker; more wait in its queue. */
  concurrency: number;
  /**
   * Where its attempts run, recorded in `step.started`: the host, and (a worker with a workspace of
   * its own) the environment fingerprint read just before each attempt (worker-fingerprint.ts).
   */
  place?: () => Promise<AttemptPlace>;
  /** Traces dispatches that carry a trace context (default: none, tracing off). */
  tracer?: Tracer;
}

/** A dispatch whose seal verified: what it may run, and the key its replies are proven with. */
interface Sealed {
  claims: SealClaims;
  replyKey: Buffer;
}

/**
 * A worker: subscribes to `cmd.exec.<name>` (queue group per executor, so each dispatch goes to
 * one worker) for every executor and partitioner it has, runs dispatches with bounded
 * concurrency, and replies facts to the run's inbox. A dispatch runs only when its seal (the
 * engine's signature over that one dispatch: id, executor, digest of what it carries, programs,
 * dry-run flag, expiry) verifies; side-effecting ones at most once per dispatch id (the shared
 * ledger, keyed by the seal's dispatch id). Every reply carries a proof under the dispatch's
 * reply key, so the run host knows it comes from the worker that received the dispatch.
 */
export class Worker {
  readonly #o: WorkerOptions;
  readonly #subs: BusSubscription[] = [];
  readonly #queue: BoundedQueue<ExecItem>;
  readonly #replies: ReplyBatcher;
  readonly #abort = new AbortController();
  readonly #cancels = new DispatchCancellations();
  #stopHeartbeat: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.#o = options;
    // Every dispatch whose executor reads its signal listens to this one (linked-signal.ts).
    setMaxListeners(0, this.#abort.signal);
    this.#replies = new ReplyBatcher(options.bus, options.ns);
    this.#queue = new BoundedQueue(
      options.concurrency,
      (item) => this.#handle(item),
      (e) =>
        options.log.error(
          { event: 'worker.dispatch_crashed', error: errorInfo(e) },
          'dispatch handler crashed',
        ),
    );
  }

  /** Executor and partitioner names this worker serves. */
  names(): string[] {
    return [...new Set([...Object.keys(this.#o.executors), ...Object.keys(this.#o.partitioners)])].sort();
  }

  inFlight(): number {
    return this.#queue.size;
  }

  start(): void {
    for (const name of this.names()) {
      this.#subs.push(
        this.#o.bus.subscribeTyped(
          execSubject(this.#o.ns, name),
          execMessageSchema,
          (msg) => {
            for (const item of msg.items) this.#queue.push(item);
          },
          { queue: execQueue(name) },
        ),
      );
      // Cancels: no queue group, every worker of the executor hears them (subjects.ts).
      // Partitions are never cancelled (in-process, no side effect).
      if (!Object.hasOwn(this.#o.executors, name)) continue;
      this.#subs.push(
        this.#o.bus.subscribeTyped(cancelSubject(this.#o.ns, name), cancelMessageSchema, (msg) => {
          for (const { dispatchId, reason, runId } of msg.items) {
            if (this.#cancels.cancel(dispatchId, reason)) {
              this.#o.log.info(
                { event: 'dispatch.cancelling', dispatchId, runId, reason },
                'the run cancelled a running dispatch: stopping it',
              );
            }
          }
        }),
      );
    }
    this.#stopHeartbeat = startLedgerHeartbeat(
      this.#o.ledger,
      this.#o.ledgerHeartbeatMs ?? 10_000,
      this.#o.log,
    );
  }

  /**
   * Handles a dispatch; with tracing on and a trace context in the item, inside a span that is a
   * child of the engine's span of the dispatch, and with its ids on every log entry.
   */
  async #handle(item: ExecItem): Promise<void> {
    const tracer = this.#o.tracer;
    const span = tracer?.enabled ? startDispatchSpan(tracer, item, this.#o.id) : undefined;
    if (!span) {
      await this.#dispatch(item, this.#o.log, undefined);
      return;
    }
    const log = this.#o.log.child({ trace_id: span.context.traceId, span_id: span.context.spanId });
    try {
      const done = await this.#dispatch(item, log, span.context);
      if (done !== undefined && 'refused' in done) {
        span.setAttributes({ 'lily.outcome': 'refused', 'lily.refusal': done.refused });
        span.end({ code: 'error', message: `dispatch refused: ${done.refused}` });
      } else endDispatchSpan(span, done);
    } catch (e) {
      span.end({ code: 'error', message: errorInfo(e).message });
      throw e;
    }
  }

  /**
   * Verifies the dispatch's seal, claims it, runs it and replies (every reply proven with the
   * dispatch's reply key); returns the replies sent (none: a duplicate), or why it was refused.
   */
  async #dispatch(
    item: ExecItem,
    log: Logger,
    trace: SpanContext | undefined,
  ): Promise<InboundEvent[] | undefined | { refused: string }> {
    const ref = dispatchRefOf(item);
    const sealed = this.#verify(item, ref, log);
    if ('refused' in sealed) return sealed;
    // The ledger is keyed by the seal's dispatch id (equal to the dispatch's: #verify checked it).
    const dispatchId = sealed.claims.dispatchId;
    const ledger =
      item.kind !== 'partition' && this.#sideEffects(item) !== 'none' ? this.#o.ledger : undefined;
    if (ledger) {
      const claim = await ledger.claim(dispatchId, {
        retakeStale: item.kind !== 'step' || item.data.idempotent,
      });
      if (claim.kind === 'done') {
        this.#replies.send(item.runId, claim.replies);
        return claim.replies;
      }
      if (claim.kind === 'running') {
        log.info(
          { event: 'dispatch.duplicate', dispatchId, worker: claim.owner.worker },
          'dispatch already running elsewhere',
        );
        return undefined;
      }
    }
    // A dispatch the run cancelled before it started here (the cancel overtook it) never runs.
    const cancelled = item.kind === 'partition' ? undefined : this.#cancels.reasonOf(dispatchId);
    const outcome =
      item.kind !== 'partition' && cancelled !== undefined
        ? { started: [], end: cancelledFact(item, cancelled, this.#stamp()) }
        : await this.#execute(item, sealed, log, trace);
    const end = proveFact(sealed.replyKey, outcome.end);
    // The ledger records every reply, `step.started` included, for re-sends to a later copy of
    // the dispatch; this one's `step.started` went out when the attempt began.
    const replies = [...outcome.started, end];
    // If the ledger cannot take them now, the run still gets them.
    await ledger
      ?.complete(dispatchId, replies)
      .catch((e) =>
        this.#o.log.error(
          { event: 'dispatch.complete_failed', dispatchId, error: errorInfo(e) },
          'the dispatch ledger did not record the replies; sent anyway',
        ),
      );
    // `step.started` goes again with the end, always: NATS may have lost the first copy without
    // this connection noticing (a cluster node dying with it in flight, on the way to the run's
    // host). The run keeps the first copy it gets.
    this.#replies.send(item.runId, replies);
    return replies;
  }

  /**
   * The dispatch's seal checked against the dispatch as received (and, for a gate with side
   * effects, that it is not a dry run's). A refused dispatch is a warn `dispatch.refused` naming
   * the reason and is not answered (an answer could only come from whoever forged or altered
   * it), except an authentic one that expired: it is answered with a retryable failure.
   */
  #verify(item: ExecItem, ref: DispatchRef, log: Logger): Sealed | { refused: string } {
    const verdict = this.#o.seals.verify(item, item.seal?.grant, this.#o.clock.now(), ref);
    let reason: string | undefined = verdict.ok ? undefined : verdict.reason;
    if (verdict.ok && item.kind === 'step' && verdict.claims.dryRun !== item.data.dryRun)
      reason = 'dry_run_mismatch';
    if (verdict.ok && item.kind === 'gate' && verdict.claims.dryRun && this.#sideEffects(item) !== 'none') {
      // A dry run records such a gate as skipped and never dispatches it.
      reason = 'dry_run_gate';
    }
    if (reason === undefined && verdict.ok && item.seal) {
      return { claims: verdict.claims, replyKey: Buffer.from(item.seal.replyKey, 'base64url') };
    }
    log.warn(
      {
        event: 'dispatch.refused',
        reason,
        dispatchId: ref.dispatchId,
        kind: ref.kind,
        runId: item.runId,
        stepId: ref.stepId,
        executor: ref.executor,
      },
      `dispatch refused: ${reason}`,
    );
    if (reason === 'expired' && item.seal) {
      const error = new RetryableStepError(
        'dispatch_expired',
        `no worker started ${ref.dispatchId} before its seal expired`,
        { dispatchId: ref.dispatchId },
      );
      const key = Buffer.from(item.seal.replyKey, 'base64url');
      this.#replies.send(item.runId, [proveFact(key, failureFact(item, error, 0, this.#stamp()))]);
    }
    return { refused: reason ?? 'unsealed' };
  }

  #sideEffects(item: Exclude<ExecItem, { kind: 'partition' }>): string {
    return this.#o.catalog.executors.get(item.data.executor)?.sideEffects ?? 'external';
  }

  /**
   * Runs the dispatch: its `step.started` (proven) is sent as the attempt begins and returned
   * with the fact that ends it (not yet proven). The executor runs with `attemptContext`.
   */
  async #execute(
    item: ExecItem,
    sealed: Sealed,
    dispatchLog: Logger,
    trace: SpanContext | undefined,
  ): Promise<{ started: InboundEvent[]; end: InboundEvent }> {
    const dispatchId = dispatchIdOf(item);
    const started = performance.now();
    const cancel = this.#cancels.begin(dispatchId);
    const attempt = attemptContext({
      request: toRequest(item),
      dispatchId,
      runId: item.runId,
      startedAt: started,
      workspace: this.#o.workspace,
      workspaceRules: this.#o.workspaceRules,
      artifacts: this.#o.artifacts,
      commands: this.#o.commands,
      programs: sealed.claims.programs,
      shutdown: this.#abort.signal,
      cancel: () => cancel.signal,
      log: dispatchLog,
      ...(trace ? { trace } : {}),
    });
    const { ctx } = attempt;
    const place = (await this.#o.place?.().catch(() => undefined)) ?? {};
    const startedFact = startedFacts(item, this.#o.id, this.#stamp(), place).map((f) =>
      proveFact(sealed.replyKey, f),
    );
    if (startedFact.length > 0) this.#replies.send(item.runId, startedFact);
    const elapsed = () => Math.round(performance.now() - started);
    try {
      if (item.kind === 'partition') {
        const fn = this.#o.partitioners[item.data.partitioner];
        if (!fn)
          throw new RetryableStepError(
            'blueprint_execution_failed',
            `no partitioner ${item.data.partitioner} here`,
          );
        return { started: startedFact, end: plannedFact(item, await fn(ctx), this.#stamp()) };
      }
      const fn = this.#o.executors[item.data.executor];
      if (!fn)
        throw new RetryableStepError('blueprint_execution_failed', `no executor ${item.data.executor} here`);
      const result = await fn(ctx);
      return { started: startedFact, end: succeededFact(item, result, elapsed(), this.#stamp()) };
    } catch (e) {
      if (cancel.aborted && item.kind !== 'partition') {
        const reason = cancel.reason as CancelReason;
        return {
          started: startedFact,
          end: cancelledFact(item, reason, this.#stamp(), { error: e, durationMs: elapsed() }),
        };
      }
      const end = attempt.timedOut() ? 'step_timeout' : failureEndReason(e, this.#abort.signal.aborted);
      return { started: startedFact, end: failureFact(item, e, elapsed(), this.#stamp(), end) };
    } finally {
      this.#cancels.end(dispatchId);
      attempt.dispose();
    }
  }

  #stamp(): FactStamp {
    return { at: this.#o.clock.now(), producer: `worker/${this.#o.id}` };
  }

  /** Stops taking dispatches, lets running ones finish (or aborts them after `graceMs`), flushes replies. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopHeartbeat?.();
    await Promise.all(this.#subs.map((s) => s.drain()));
    this.#queue.clearWaiting();
    if (this.#queue.running > 0) {
      const timer = setTimeout(() => this.#abort.abort(), graceMs);
      await this.#queue.idle();
      clearTimeout(timer);
    }
    this.#replies.flush();
    this.#replies.close();
  }
}
