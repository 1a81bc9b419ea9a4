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
