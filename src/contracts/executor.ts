import type { ArtifactStore } from './artifact-store.js';
import { type ErrorData, LilyError } from './errors.js';
import type { ArtifactRef } from './events/shared-schemas.js';
import type { Json } from './json.js';
import type { Logger } from './logger.js';

/**
 * One dispatch as an executor sees it: which attempt of which step of which run, its static
 * configuration and its resolved input. `dispatchId` (`<runId>/<stepId>/<attempt>`, plus the
 * shard) is the same every time this attempt is delivered: an executor that talks to an
 * external system can use it as its idempotency key.
 *
 * @example
 * const charge: ExecutorFn = async ({ request }) => {
 *   const receipt = await payments.charge(request.input, { idempotencyKey: request.dispatchId });
 *   return { output: { receiptId: receipt.id }, artifacts: [] };
 * };
 */
export interface ExecutionRequest {
  dispatchId: string;
  /** A run id (a ULID); plain string here so tests of executors can build requests freely. */
  runId: string;
  jobId: string;
  stepId: string;
  attempt: number;
  /** The step's static configuration (`with`), already validated at compile. */
  with: Record<string, Json>;
  /** The step's resolved input (run input, upstream outputs, the shard). */
  input: Json;
  /** A dry run: do no side effect, report what would be done. */
  dryRun: boolean;
  timeoutMs?: number;
}

/**
 * What the worker hands an executor besides the request. `signal` aborts when the step times
 * out, the run cancels the dispatch (run cancelled or timed out, a sibling failed) or the worker
 * shuts down: an executor should stop and throw (the worker reports how the dispatch ended). `resolvePath` throws a terminal `job_policy_denied` StepError for a path the
 * workspace policy refuses.
 *
 * @example
 * const read: ExecutorFn = async (ctx) => {
 *   const file = ctx.resolvePath(String(ctx.request.with.path));
 *   const text = await readFile(file, { encoding: 'utf8', signal: ctx.signal });
 *   return { output: { bytes: text.length }, artifacts: [await ctx.artifacts.putText(text)] };
 * };
 */
export interface ExecutionContext {
  request: ExecutionRequest;
  /** The project directory: every path a step touches resolves inside it. */
  workspace: string;
  artifacts: ArtifactStore;
  /** Aborted when the step times out, the run cancels it, or the worker shuts down. */
  signal: AbortSignal;
  log: Logger;
  /** Checks a workspace path against the policy; throws `job_policy_denied` when refused. */
  resolvePath(path: string): string;
  /**
   * Checks a command against this worker's policy right before it starts, and says what to
   * start: argv[0] resolved on the policy's search path (never the step's PATH) and compared
   * with the command allowlist by real path, the step's variables against the env rules.
   * `cwd` is absolute (from `resolvePath`). Executors that start programs start `file`.
   * Throws `job_policy_denied` (not retryable) when refused.
   */
  prepareCommand(
    argv: readonly string[],
    env: Readonly<Record<string, string>>,
    cwd: string,
  ): PreparedCommand;
  /**
   * The W3C `traceparent` of the worker's span of this dispatch, when tracing is on: pass it on
   * (an HTTP header, a child's `TRACEPARENT`) so the work an executor causes joins the run's
   * trace. The `command` executor sets `TRACEPARENT` in its process's environment.
   */
  traceparent?: string;
}

/** A command the worker checked against its policy, ready to start. */
export interface PreparedCommand {
  /** The executable to start: argv[0] found on the policy's search path, every symlink followed. */
  file: string;
  /** argv as given; argv[0] is passed to the program as its name. */
  argv: readonly string[];
  /** The inherited allowlist (PATH is the policy's search path) plus the step's own, checked, variables. */
  env: Record<string, string>;
}

/**
 * A successful dispatch: the step's output (checked against the blueprint's output schema by
 * the run, a mismatch fails the step for good) and the artifacts it recorded.
 *
 * @example
 * const result: ExecutionResult = { output: { rows: 42 }, artifacts: [] };
 */
export interface ExecutionResult {
  output: Json;
  artifacts: ArtifactRef[];
  /**
   * Parts of the work's output the executor cut at a cap (`stdout`, `stderr`): recorded in the
   * step's fact and receipt, so a reader knows the output is incomplete.
   */
  truncated?: string[];
}

/**
 * An executor: does one dispatch. What it throws decides what happens next:
 * - `TerminalStepError` (or a `StepError` with `retryable: false`): the step fails now, whatever
 *   retries its plan allows;
 * - `RetryableStepError` (or a `StepError` with `retryable: true`): the run's retry policy
 *   applies; with `retryAfterMs` the next attempt waits that long instead of the plan's backoff;
 * - anything else: retryable, with the plan's backoff.
 * A retry happens only while attempts remain (`retry.maxAttempts`).
 *
 * @example
 * const fetchRates: ExecutorFn = async ({ request, signal }) => {
 *   const res = await fetch(String(request.with.url), { signal });
 *   if (res.status === 429) {
 *     const retryAfterMs = Number(res.headers.get('retry-after') ?? '1') * 1_000;
 *     throw new RetryableStepError('blueprint_execution_failed', 'rate limited', {}, { retryAfterMs });
 *   }
 *   if (!res.ok) throw new TerminalStepError('blueprint_execution_failed', `HTTP ${res.status}`);
 *   return { output: await res.json(), artifacts: [] };
 * };
 */
export type ExecutorFn = (ctx: ExecutionContext) => Promise<ExecutionResult>;

/**
 * A partitioner: splits a step's work into shards, each run as its own dispatch. Deterministic
 * for the same workspace contents (a re-sent partition request must plan the same shards).
 * Errors are treated as for executors.
 *
 * @example
 * const byFile: PartitionerFn = async (ctx) =>
 *   (ctx.request.input as string[]).map((file) => ({ key: file, input: { file } }));
 */
export type PartitionerFn = (ctx: ExecutionContext) => Promise<{ key: string; input: Json }[]>;

/** What the run does after a failed attempt, as an error decides it (see `stepFailureOf`). */
export interface StepFailure {
  retryable: boolean;
  /** Wait this long before the next attempt instead of the plan's backoff (retryable only). */
  retryAfterMs?: number;
}

const checkRetryAfter = (retryAfterMs: number | undefined): number | undefined => {
  if (retryAfterMs === undefined) return undefined;
  if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0)
    throw new RangeError(`retryAfterMs must be a finite number >= 0, got ${retryAfterMs}`);
  return Math.ceil(retryAfterMs);
};

/**
 * A step failure with a stable code. `retryable: false` is terminal (bad input, a refused
 * path); `true` lets the run's retry policy try again, after `retryAfterMs` when given (rounded
 * up to whole milliseconds; a negative or non-finite value throws a RangeError here, at the
 * executor). Prefer the two subclasses, which say which it is in their name.
 *
 * Never throws.
 *
 * @example
 * throw new StepError('blueprint_execution_failed', 'disk busy', { path }, { retryable: true, retryAfterMs: 500 });
 */
export class StepError extends LilyError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: LilyError['code'],
    message: string,
    data: ErrorData,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(code, message, data, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryable ? checkRetryAfter(options.retryAfterMs) : undefined;
  }
}

/**
 * A failure no retry can fix (invalid input, a refused path, a business rule): the step fails
 * at once, whatever attempts its plan has left. Like Restate's `TerminalError`. Its
 * constructor never throws.
 *
 * @example
 * if (!isValid(ctx.request.input)) {
 *   throw new TerminalStepError('blueprint_execution_failed', 'input has no "table"', { field: 'table' });
 * }
 */
export class TerminalStepError extends StepError {
  constructor(
    code: LilyError['code'],
    message: string,
    data: ErrorData = {},
    options: { cause?: unknown } = {},
  ) {
    super(code, message, data, { retryable: false, cause: options.cause });
  }
}

/**
 * A transient failure (a timeout, a rate limit, a lock): the run retries the step while
 * attempts remain. With `retryAfterMs` the next attempt is scheduled that long after the
 * failure instead of after the plan's backoff; the delay is recorded in `step.failed`, so a
 * replay schedules the same retry.
 *
 * Never throws.
 *
 * @example
 * throw new RetryableStepError('blueprint_execution_failed', 'rate limited', { status: 429 }, { retryAfterMs: 2_000 });
 */
export class RetryableStepError extends StepError {
  constructor(
    code: LilyError['code'],
    message: string,
    data: ErrorData = {},
    options: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(code, message, data, {
      retryable: true,
      cause: options.cause,
      ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    });
  }
}

/**
 * Whether `e` is a StepError (terminal, retryable or plain).
 *
 * Never throws.
 *
 * @example
 * if (isStepError(e) && !e.retryable) log.warn('terminal failure', e.toJSON());
 */
export const isStepError = (e: unknown): e is StepError => e instanceof StepError;

/**
 * Whether `e` fails its step for good.
 *
 * Never throws.
 *
 * @example
 * expect(isTerminalStepError(new TerminalStepError('blueprint_execution_failed', 'bad'))).toBe(true);
 */
export const isTerminalStepError = (e: unknown): e is StepError => isStepError(e) && !e.retryable;

/**
 * Whether `e` lets the run retry its step (as any non-StepError does).
 *
 * Never throws.
 *
 * @example
 * expect(isRetryableStepError(new RetryableStepError('blueprint_execution_failed', 'busy'))).toBe(true);
 */
export const isRetryableStepError = (e: unknown): e is StepError => isStepError(e) && e.retryable;

/**
 * How a thrown value maps to the outcome recorded in `step.failed`: StepErrors say it
 * themselves; anything else is retryable with the plan's backoff.
 *
 * Never throws.
 *
 * @example
 * stepFailureOf(new RetryableStepError('blueprint_execution_failed', 'busy', {}, { retryAfterMs: 250 }));
 * // { retryable: true, retryAfterMs: 250 }
 * stepFailureOf(new Error('ECONNRESET')); // { retryable: true }
 */
export const stepFailureOf = (e: unknown): StepFailure => {
  if (!isStepError(e)) return { retryable: true };
  return e.retryAfterMs === undefined
    ? { retryable: e.retryable }
    : { retryable: e.retryable, retryAfterMs: e.retryAfterMs };
};
