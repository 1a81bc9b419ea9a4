import type { Catalog } from '../../blueprints/catalog.js';
import type { ArtifactStore } from '../../contracts/artifact-store.js';
import type { Clock } from '../../contracts/clock.js';
import type { ExecutionRequest, ExecutorFn, PartitionerFn } from '../../contracts/executor.js';
import { isStepError, StepError } from '../../contracts/executor.js';
import type { Json } from '../../contracts/json.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { CommandGuard } from '../executors/command-guard.js';
import type { DispatchLedger } from '../ledger/lmdb-dispatch-ledger.js';
import type { Logger } from '../logger.js';
import { type ExecItem, execMessageSchema, type InboundEvent } from '../messages.js';
import type { GrantSigner } from '../policy/grants.js';
import { checkWorkspacePath, type WorkspaceRules } from '../policy/workspace.js';
import { execQueue, execSubject } from '../subjects.js';
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
  signer: GrantSigner;
  /** Shared across workers: a dispatch's effect happens once. Absent: in-process tests only. */
  ledger?: DispatchLedger;
  workspace: string;
  workspaceRules: WorkspaceRules;
  /** The worker's own check of every command right before it starts (allowlist, env). */
  commands: CommandGuard;
  /** Dispatches run at once by this worker; more wait in its queue. */
  concurrency: number;
}

interface Job {
  item: ExecItem;
}

/**
 * A worker: subscribes to `cmd.exec.<name>` (queue group per executor, so each dispatch goes to
 * one worker) for every executor and partitioner it has, runs dispatches with bounded
 * concurrency, and replies facts to the run's inbox. Side-effecting dispatches run only with a
 * grant signed by the policy gate, and at most once per dispatch id (the shared ledger).
 */
export class Worker {
  readonly #o: WorkerOptions;
  readonly #subs: BusSubscription[] = [];
  readonly #queue: Job[] = [];
  readonly #replies: ReplyBatcher;
  readonly #abort = new AbortController();
  #running = 0;
  #idle: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.#replies = new ReplyBatcher(options.bus, options.ns);
  }

  /** Executor and partitioner names this worker serves. */
  names(): string[] {
    return [...new Set([...Object.keys(this.#o.executors), ...Object.keys(this.#o.partitioners)])].sort();
  }

  inFlight(): number {
    return this.#running + this.#queue.length;
  }

  start(): void {
    for (const name of this.names()) {
      this.#subs.push(
        this.#o.bus.subscribeTyped(
          execSubject(this.#o.ns, name),
          execMessageSchema,
          (msg) => {
            for (const item of msg.items) this.#enqueue({ item });
          },
          { queue: execQueue(name) },
        ),
      );
    }
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#running += 1;
      this.#handle(job.item)
        .catch((e) =>
          this.#o.log.error(
            { event: 'worker.dispatch_crashed', error: errorInfo(e) },
            'dispatch handler crashed',
          ),
        )
        .finally(() => {
          this.#running -= 1;
          this.#pump();
          if (this.inFlight() === 0) this.#idle?.();
        });
    }
  }

  async #handle(item: ExecItem): Promise<void> {
    const { dispatchId } = itemIds(item);
    const needsGrant = item.kind !== 'partition' && this.#sideEffects(item) !== 'none';
    if (needsGrant) {
      const grant = item.kind === 'step' ? item.data.grant : item.grant;
      // A gate with side effects runs only in a real run: a dry run records it as skipped and
      // never dispatches it, so a gate under a dry-run grant is refused.
      const why = this.#o.signer.check(grant, {
        runId: item.runId,
        stepId: item.data.stepId,
        dryRun: item.kind === 'step' ? item.data.dryRun : false,
      });
      if (why) {
        this.#o.log.warn(
          { event: 'dispatch.refused', reason: why, dispatchId, runId: item.runId },
          'dispatch without a valid grant refused',
        );
        const error = new StepError(
          'job_policy_denied',
          `dispatch refused: ${why}`,
          { dispatchId, reason: why },
          { retryable: false },
        );
        this.#replies.send(item.runId, [this.#failure(item, error, 0)]);
        return;
      }
    }
    const ledger = needsGrant ? this.#o.ledger : undefined;
    if (ledger) {
      const claim = await ledger.claim(dispatchId, item.kind !== 'step' || item.data.idempotent);
      if (claim.kind === 'done') {
        this.#replies.send(item.runId, claim.replies);
        return;
      }
      if (claim.kind === 'running') {
        this.#o.log.info(
          { event: 'dispatch.duplicate', dispatchId, worker: claim.worker },
          'dispatch already running elsewhere',
        );
        return;
      }
    }
    const replies = await this.#execute(item);
    await ledger?.complete(dispatchId, replies);
    this.#replies.send(item.runId, replies);
  }

  #sideEffects(item: Exclude<ExecItem, { kind: 'partition' }>): string {
    return this.#o.catalog.executors.get(item.data.executor)?.sideEffects ?? 'external';
  }

  async #execute(item: ExecItem): Promise<InboundEvent[]> {
    const { dispatchId } = itemIds(item);
    const started = performance.now();
    const request = toRequest(item);
    const timeout =
      request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs + 1_000);
    const signal = timeout ? AbortSignal.any([this.#abort.signal, timeout]) : this.#abort.signal;
    const log = this.#o.log.child({ dispatchId, runId: item.runId });
    const ctx = {
      request,
      workspace: this.#o.workspace,
      artifacts: this.#o.artifacts,
      signal,
      log,
      prepareCommand: (argv: readonly string[], env: Readonly<Record<string, string>>, cwd: string) =>
        this.#o.commands.prepare({ argv, env, cwd }, log),
      resolvePath: (path: string) => {
        const verdict = checkWorkspacePath(this.#o.workspace, path, this.#o.workspaceRules);
        if (!verdict.ok)
          throw new StepError('job_policy_denied', verdict.reason, { path }, { retryable: false });
        return verdict.absolute;
      },
    };
    const startedFact =
      item.kind === 'step'
        ? [this.#fact(`${dispatchId}/started`, 'step.started', { ...base(item), worker: this.#o.id })]
        : [];
    if (startedFact.length > 0) this.#replies.send(item.runId, startedFact);
    try {
      if (item.kind === 'partition') {
        const fn = this.#o.partitioners[item.data.partitioner];
        if (!fn)
          throw new StepError(
            'blueprint_execution_failed',
            `no partitioner ${item.data.partitioner} here`,
            {},
            { retryable: true },
          );
        const shards = await fn(ctx);
        const { stepId, attempt, partitioner } = item.data;
        return [
          this.#fact(`${dispatchId}/planned`, 'partition.planned', {
            stepId,
            attempt,
            partitioner,
            shards,
          }),
        ];
      }
      const fn = this.#o.executors[item.data.executor];
      if (!fn)
        throw new StepError(
          'blueprint_execution_failed',
          `no executor ${item.data.executor} here`,
          {},
          { retryable: true },
        );
      const result = await fn(ctx);
      const durationMs = Math.round(performance.now() - started);
      if (item.kind === 'gate') {
        return [
          this.#fact(`${dispatchId}/passed`, 'gate.passed', {
            ...base(item),
            gateId: item.data.gateId,
            output: result.output,
          }),
        ];
      }
      const done = { ...base(item), output: result.output, artifacts: result.artifacts, durationMs };
      return [...startedFact, this.#fact(`${dispatchId}/succeeded`, 'step.succeeded', done)];
    } catch (e) {
      return [...startedFact, this.#failure(item, e, Math.round(performance.now() - started))];
    }
  }

  #failure(item: ExecItem, e: unknown, durationMs: number): InboundEvent {
    const { dispatchId } = itemIds(item);
    const error = errorInfo(e);
    const retryable = isStepError(e) ? e.retryable : true;
    if (item.kind === 'gate') {
      const required = (item.data.input as { required?: boolean } | null)?.required ?? true;
      return this.#fact(`${dispatchId}/failed`, 'gate.failed', {
        ...base(item),
        gateId: item.data.gateId,
        required,
        error,
      });
    }
    if (item.kind === 'partition') {
      const { stepId, attempt } = item.data;
      return this.#fact(`${dispatchId}/failed`, 'step.failed', {
        stepId,
        attempt,
        dispatchId,
        error,
        retryable,
        durationMs,
      });
    }
    if (!item.data.idempotent && isStepError(e) && e.data.killed === true) {
      // A non-idempotent command killed mid-way may or may not have had its effect: it is
      // indeterminate (an operator answers it), never retried blindly.
      return this.#fact(`${dispatchId}/indeterminate`, 'step.indeterminate', {
        ...base(item),
        reason: `killed mid-step: ${error.message}`,
      });
    }
    return this.#fact(`${dispatchId}/failed`, 'step.failed', {
      ...base(item),
      error,
      retryable,
      durationMs,
    });
  }

  #fact(id: string, type: string, data: unknown): InboundEvent {
    return { id, type, at: this.#o.clock.now(), data, producer: `worker/${this.#o.id}` };
  }

  /** Stops taking dispatches, lets running ones finish (or aborts them after `graceMs`), flushes replies. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.#subs.map((s) => s.drain()));
    this.#queue.length = 0;
    if (this.#running > 0) {
      const idle = new Promise<void>((r) => {
        this.#idle = r;
      });
      const timer = setTimeout(() => this.#abort.abort(), graceMs);
      await idle;
      clearTimeout(timer);
    }
    this.#replies.flush();
    this.#replies.close();
  }
}

const itemIds = (item: ExecItem): { dispatchId: string } =>
  item.kind === 'partition'
    ? { dispatchId: `${item.runId}/${item.data.stepId}/${item.data.attempt}:partition` }
    : { dispatchId: item.data.dispatchId };

const base = (item: Exclude<ExecItem, { kind: 'partition' }>) => ({
  dispatchId: item.data.dispatchId,
  stepId: item.data.stepId,
  attempt: item.data.attempt,
  ...(item.kind === 'step' && item.data.shard !== undefined ? { shard: item.data.shard } : {}),
});

const toRequest = (item: ExecItem): ExecutionRequest => {
  const common = {
    runId: item.runId,
    jobId: item.jobId,
    stepId: item.data.stepId,
    attempt: item.data.attempt,
  };
  if (item.kind === 'partition') {
    return {
      ...common,
      dispatchId: itemIds(item).dispatchId,
      with: item.data.with as Record<string, Json>,
      input: item.data.input,
      dryRun: false,
    };
  }
  if (item.kind === 'gate') {
    const input = (item.data.input ?? {}) as {
      with?: Record<string, Json>;
      output?: Json;
      timeoutMs?: number;
    };
    return {
      ...common,
      dispatchId: item.data.dispatchId,
      with: input.with ?? {},
      input: input.output ?? null,
      dryRun: false,
      ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
    };
  }
  const d = item.data as typeof item.data & { with?: Record<string, Json> };
  return {
    ...common,
    dispatchId: d.dispatchId,
    with: d.with ?? {},
    input: d.input,
    dryRun: d.dryRun,
    ...(d.timeoutMs === undefined ? {} : { timeoutMs: d.timeoutMs }),
  };
};
