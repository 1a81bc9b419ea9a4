import type { ArtifactStore } from './artifact-store.js';
import { LilyError } from './errors.js';
import type { ArtifactRef } from './events/shared-schemas.js';
import type { Json } from './json.js';
import type { Logger } from './logger.js';

/** One dispatch as an executor sees it. */
export interface ExecutionRequest {
  dispatchId: string;
  runId: string;
  jobId: string;
  stepId: string;
  attempt: number;
  /** The step's static configuration (`with`), already validated at compile. */
  with: Record<string, Json>;
  /** The step's resolved input (run input, upstream outputs, the shard). */
  input: Json;
  dryRun: boolean;
  timeoutMs?: number;
}

export interface ExecutionContext {
  request: ExecutionRequest;
  /** The project directory: every path a step touches resolves inside it. */
  workspace: string;
  artifacts: ArtifactStore;
  /** Aborted when the step times out or the worker shuts down. */
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

export interface ExecutionResult {
  output: Json;
  artifacts: ArtifactRef[];
}

/** An executor: does one dispatch. Throws a StepError (or any error: treated as retryable). */
export type ExecutorFn = (ctx: ExecutionContext) => Promise<ExecutionResult>;

/** A partitioner: splits a step's work into shards. Deterministic for the same workspace contents. */
export type PartitionerFn = (ctx: ExecutionContext) => Promise<{ key: string; input: Json }[]>;

/**
 * A step failure with a stable code. `retryable: false` is terminal (bad input, a refused
 * path); `true` lets the run's retry policy try again.
 */
export class StepError extends LilyError {
  readonly retryable: boolean;
  constructor(
    code: LilyError['code'],
    message: string,
    data: Record<string, unknown>,
    options: { retryable: boolean; cause?: unknown },
  ) {
    super(code, message, data, { cause: options.cause });
    this.retryable = options.retryable;
  }
}

export const isStepError = (e: unknown): e is StepError => e instanceof StepError;
