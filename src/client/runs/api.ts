import type { ClientContext } from '../context.js';
import { invalidArgument } from '../errors.js';
import { RunHandle } from './handle.js';
import type { RunIdentity } from './new-identity.js';
import { type ListRunsOptions, RUN_LIST_STATUSES, type RunSummary } from './read.js';
import type { RunRequestOptions } from './request.js';
import type { RunRow, RunSearch, RunSearchIndex } from './search.js';

/**
 * Runs: submit new ones, list and open existing ones. Reads need no engine (they read the log);
 * submitting needs one, and starts an ephemeral engine in this process when none runs (unless
 * the client was opened with `ephemeral: false`).
 */
export class RunsApi {
  readonly #ctx: ClientContext;
  #index: RunSearchIndex | undefined;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts a run of a job: the request goes to the engine's scheduler, which validates it at
   * every boundary (spec, bindings, input, policy) before anything runs. Resolves once the run
   * is accepted (its `run.requested` is in the log), with a handle to follow it.
   *
   * Throws `job_not_found`, `job_invalid_spec`, `job_bindings_invalid`, `job_input_invalid`,
   * `bus_unavailable`, `nats_server_missing`, `project_not_initialized`.
   *
   * @example
   * const handle = await client.runs.submit('hello', { input: { who: 'lily' } });
   * const result = await handle.result();
   */
  async submit(jobId: string, o: RunRequestOptions = {}): Promise<RunHandle> {
    const { submitRequest } = await import('./submit.js');
    const submitted = await submitRequest(this.#ctx, jobId, o);
    return new RunHandle(this.#ctx, submitted.runId, submitted);
  }

  /**
   * A handle to an existing run (no I/O: its methods throw `run_not_found` for an unknown id).
   *
   * @example
   * const { receipt } = await client.runs.get('01J9...').describe();
   */
  get(runId: string): RunHandle {
    return new RunHandle(this.#ctx, runId);
  }

  /**
   * Runs newest first, each folded from its stream; `total` counts the matches before `limit`.
   * Throws `usage_invalid` for a limit below 1 or an unknown status.
   *
   * @example
   * const { runs } = await client.runs.list({ jobId: 'hello', status: 'failed', limit: 5 });
   */
  async list(o: ListRunsOptions = {}): Promise<{ runs: RunSummary[]; total: number }> {
    if (o.limit !== undefined && (!Number.isSafeInteger(o.limit) || o.limit < 1)) {
      throw invalidArgument(`limit must be a positive integer, not ${o.limit}`, { option: '--limit' });
    }
    if (o.status !== undefined && !(RUN_LIST_STATUSES as readonly string[]).includes(o.status)) {
      throw invalidArgument(`status must be one of ${RUN_LIST_STATUSES.join(', ')}, not ${o.status}`, {
        option: '--status',
      });
    }
    const { listRuns } = await import('./read.js');
    return listRuns((await this.#ctx.stores()).events, o);
  }

  /**
   * Runs newest first with what a console filters on (job, status, trigger, request time, a run
   * id prefix) and flags (parent, error, waiting approvals). The client keeps each row until
   * its run's stream grows, so searching again costs a fold only for the runs that changed.
   * Throws `usage_invalid` for a limit below 1 or an unknown status.
   *
   * @example
   * const { runs } = await client.runs.search({ trigger: 'cron', from: Date.now() - 86_400_000 });
   */
  async search(o: RunSearch = {}): Promise<{ runs: RunRow[]; total: number }> {
    if (o.limit !== undefined && (!Number.isSafeInteger(o.limit) || o.limit < 1)) {
      throw invalidArgument(`limit must be a positive integer, not ${o.limit}`, { option: 'limit' });
    }
    if (o.status !== undefined && !(RUN_LIST_STATUSES as readonly string[]).includes(o.status)) {
      throw invalidArgument(`status must be one of ${RUN_LIST_STATUSES.join(', ')}, not ${o.status}`, {
        option: 'status',
      });
    }
    const { RunSearchIndex } = await import('./search.js');
    this.#index ??= new RunSearchIndex();
    return this.#index.search((await this.#ctx.stores()).events, o);
  }

  /**
   * A new run identity and manifest artifact, with an optional work order file attached
   * (kernel layer 0; no event is appended). A relative path is relative to the client's `cwd`.
   * Throws `usage_invalid` for an unreadable file, `project_not_initialized`.
   *
   * @example
   * const { runId, manifest } = await client.runs.newIdentity({ workOrder: 'order.md' });
   */
  async newIdentity(o: { workOrder?: string } = {}): Promise<RunIdentity> {
    const { checkWorkOrder, newRunIdentity } = await import('./new-identity.js');
    this.#ctx.paths();
    const file = o.workOrder === undefined ? undefined : this.#ctx.resolvePath(o.workOrder);
    if (file !== undefined) await checkWorkOrder(file);
    const { artifacts } = await this.#ctx.stores({ create: true });
    return newRunIdentity(artifacts, this.#ctx.clock, `${this.#ctx.origin}/run-new`, file);
  }
}
