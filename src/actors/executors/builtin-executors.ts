import { commandWithSchema, echoWithSchema, listWithSchema } from '../../blueprints/builtins/executors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import type { ExecutionContext, ExecutorFn, PartitionerFn } from '../../contracts/executor.js';
import { StepError } from '../../contracts/executor.js';
import type { Json, JsonObject } from '../../contracts/json.js';
import { runProcess } from './run-process.js';

/** Bytes of stdout/stderr kept in the step output; the whole capped stream is an artifact. */
const OUTPUT_INLINE_BYTES = 4096;
const OUTPUT_CAP_BYTES = 8 * 1024 * 1024;

const storeStream = async (
  ctx: ExecutionContext,
  name: string,
  bytes: Buffer,
): Promise<ArtifactRef | undefined> => {
  if (bytes.length === 0) return undefined;
  const { runId, stepId, attempt } = ctx.request;
  return ctx.artifacts.putBytes(bytes, {
    name: `${stepId}.${attempt}.${name}`,
    producer: 'executor/command',
    runId,
    stepId,
    mediaType: 'text/plain; charset=utf-8',
  });
};

/**
 * `command`: argv without a shell, cwd inside the workspace, the program and environment the
 * worker's policy check prepared (argv[0] found on the policy's search path, the inherited
 * allowlist plus the checked `with.env`), the resolved input as JSON on stdin and in
 * LILY_INPUT, the worker's trace context in TRACEPARENT when tracing is on, a timeout or cancel
 * that stops the step's cgroup or process group (run-process.ts), stdout/stderr as artifacts
 * (the first 8 MiB of each; `truncated` names a stream that was longer).
 * Dry run: checks the command the same way and reports what it would run, running nothing.
 */
export const commandExecutor: ExecutorFn = async (ctx) => {
  const w = commandWithSchema.parse(ctx.request.with);
  const cwd = ctx.resolvePath(w.cwd);
  const command = ctx.prepareCommand(w.argv, w.env, cwd);
  if (ctx.request.dryRun) {
    return {
      output: {
        dryRun: true,
        argv: w.argv,
        program: command.file,
        cwd: w.cwd,
        exitCode: 0,
        durationMs: 0,
        stdout: '',
        stderr: '',
      },
      artifacts: [],
    };
  }
  const input = JSON.stringify(ctx.request.input ?? null);
  const env = {
    ...command.env,
    LILY_INPUT: input,
    LILY_RUN_ID: ctx.request.runId,
    LILY_STEP_ID: ctx.request.stepId,
    LILY_ATTEMPT: String(ctx.request.attempt),
    // The worker's span of this dispatch, for programs that trace (OpenTelemetry SDKs read it).
    ...(ctx.traceparent === undefined ? {} : { TRACEPARENT: ctx.traceparent }),
  };
  const result = await runProcess({
    argv: command.argv,
    file: command.file,
    cwd,
    env,
    stdin: input,
    maxOutputBytes: OUTPUT_CAP_BYTES,
    signal: ctx.signal,
    ...(ctx.request.timeoutMs === undefined ? {} : { timeoutMs: ctx.request.timeoutMs }),
  });
  const data = { argv: w.argv, cwd: w.cwd };
  if (result.spawnError) {
    throw new StepError(
      'blueprint_execution_failed',
      `cannot start ${w.argv[0]}: ${result.spawnError.message}`,
      { ...data, errno: result.spawnError.code },
      { retryable: false },
    );
  }
  const artifacts = (
    await Promise.all([storeStream(ctx, 'stdout', result.stdout), storeStream(ctx, 'stderr', result.stderr)])
  ).filter((a): a is ArtifactRef => a !== undefined);
  const stdout = result.stdout.subarray(0, OUTPUT_INLINE_BYTES).toString('utf8');
  const stderr = result.stderr.subarray(0, OUTPUT_INLINE_BYTES).toString('utf8');
  const truncated = [
    ...(result.stdoutBytes > OUTPUT_CAP_BYTES ? ['stdout'] : []),
    ...(result.stderrBytes > OUTPUT_CAP_BYTES ? ['stderr'] : []),
  ];
  const cut = truncated.length > 0 ? { truncated } : {};
  if (result.timedOut || result.aborted) {
    throw new StepError(
      'blueprint_execution_failed',
      `${w.argv[0]} was killed after ${Math.round(result.durationMs)} ms`,
      {
        ...data,
        timedOut: result.timedOut,
        killed: true,
        sigkill: result.killed,
        containment: result.containment,
        stderr,
        ...cut,
      },
      { retryable: true },
    );
  }
  const exitCode = result.exitCode ?? -1;
  if (!w.okExitCodes.includes(exitCode)) {
    throw new StepError(
      'blueprint_execution_failed',
      `${w.argv[0]} exited with ${result.signal ?? exitCode}`,
      {
        ...data,
        exitCode,
        signal: result.signal,
        stderr: stderr.slice(-1024),
        artifacts: artifacts.map((a) => a.sha256),
        ...cut,
      },
      { retryable: true },
    );
  }
  const output: JsonObject = { exitCode, durationMs: Math.round(result.durationMs), stdout, stderr };
  if (truncated.length > 0) {
    // Only the first 8 MiB of each stream are kept (the artifacts hold them): say what was cut.
    output.truncated = truncated;
    output.stdoutBytes = result.stdoutBytes;
    output.stderrBytes = result.stderrBytes;
  }
  if (w.jsonOutput) output.json = parseJsonOutput(stdout, result.stdoutBytes, data);
  return { output, artifacts, ...cut };
};

const parseJsonOutput = (stdout: string, total: number, data: Record<string, unknown>): Json => {
  if (total > OUTPUT_INLINE_BYTES) {
    throw new StepError(
      'blueprint_execution_failed',
      `stdout is ${total} bytes, over the ${OUTPUT_INLINE_BYTES}-byte JSON output limit`,
      data,
      { retryable: false },
    );
  }
  try {
    return JSON.parse(stdout) as Json;
  } catch (e) {
    throw new StepError(
      'blueprint_execution_failed',
      'stdout is not JSON (jsonOutput is set)',
      { ...data, stdout: stdout.slice(0, 200) },
      { retryable: false, cause: e },
    );
  }
};

/** `echo`: in-process, no side effects: `with.value` merged with the resolved input. */
export const echoExecutor: ExecutorFn = async (ctx) => {
  const w = echoWithSchema.parse(ctx.request.with);
  const input = ctx.request.input;
  const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
  const output: Json =
    w.value === undefined ? input : isObj(w.value) && isObj(input) ? { ...input, ...w.value } : w.value;
  return { output: output ?? null, artifacts: [] };
};

/** `list`: one shard per item of `with.items`, or of the input's `items`. */
export const listPartitioner: PartitionerFn = async (ctx) => {
  const w = listWithSchema.parse(ctx.request.with);
  const fromInput = (ctx.request.input as { items?: unknown } | null)?.items;
  const items = w.items ?? (Array.isArray(fromInput) ? (fromInput as Json[]) : []);
  return items.map((item, i) => {
    const keyed =
      w.keyField && typeof item === 'object' && item !== null ? (item as JsonObject)[w.keyField] : undefined;
    return {
      key: typeof keyed === 'string' || typeof keyed === 'number' ? String(keyed) : String(i),
      input: item,
    };
  });
};

export const BUILTIN_EXECUTOR_FNS: Record<string, ExecutorFn> = {
  command: commandExecutor,
  echo: echoExecutor,
};
export const BUILTIN_PARTITIONER_FNS: Record<string, PartitionerFn> = { list: listPartitioner };
