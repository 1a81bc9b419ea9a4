import type { ArtifactStore } from '../../contracts/artifact-store.js';
import { type ExecutionContext, type ExecutionRequest, TerminalStepError } from '../../contracts/executor.js';
import { formatTraceparent, type SpanContext } from '../../contracts/tracing.js';
import type { CommandGuard } from '../executors/command-guard.js';
import type { Logger } from '../logger.js';
import { checkWorkspacePath, type WorkspaceRules } from '../policy/workspace.js';
import type { SealedProgram } from '../trust/dispatch-seal.js';
import { checkSealedProgram } from '../trust/program-identity.js';
import { linkedSignal } from './linked-signal.js';

/** What one attempt's context is made from: the worker's settings and the dispatch's own. */
export interface AttemptInputs {
  request: ExecutionRequest;
  dispatchId: string;
  runId: string;
  /** When the attempt started (`performance.now()`). */
  startedAt: number;
  workspace: string;
  workspaceRules: WorkspaceRules;
  artifacts: ArtifactStore;
  commands: CommandGuard;
  /** The programs the dispatch's seal allows it to start. */
  programs: readonly SealedProgram[];
  /** Aborted when the worker shuts down. */
  shutdown: AbortSignal;
  /** Aborted when the run cancels this dispatch (asked for only when the executor reads its signal). */
  cancel: () => AbortSignal;
  log: Logger;
  /** The worker's span of the dispatch, with tracing on. */
  trace?: SpanContext;
}

/** An attempt's context, and what the worker asks of it once the executor is done. */
export interface Attempt {
  ctx: ExecutionContext;
  /** Whether the attempt ran past its deadline (its timer fired, or the time is past it). */
  timedOut(): boolean;
  /** Releases what the context holds (its link to the worker's shutdown signal). */
  dispose(): void;
}

/**
 * The context an executor runs an attempt with. Its combined abort signal (shutdown, the run's
 * cancel, the step's deadline) and its logger with the dispatch's ids are made when the
 * executor first reads them: most never do. The deadline is a second past the step's timeout
 * (the engine's own timer decides; this only stops an executor that listens), and its timer
 * is made with the signal, not per dispatch, or it would live on for the whole timeout.
 * Commands are checked against the worker's policy and the seal's programs right before they
 * start; paths against the workspace rules.
 */
export const attemptContext = (o: AttemptInputs): Attempt => {
  const { request } = o;
  const deadline = request.timeoutMs === undefined ? undefined : o.startedAt + request.timeoutMs + 1_000;
  let timeout: AbortSignal | undefined;
  let signal: AbortSignal | undefined;
  let unlink: (() => void) | undefined;
  let childLog: Logger | undefined;
  const logOf = (): Logger => {
    childLog ??= o.log.child({ dispatchId: o.dispatchId, runId: o.runId });
    return childLog;
  };
  const ctx: ExecutionContext = {
    request,
    workspace: o.workspace,
    artifacts: o.artifacts,
    get signal(): AbortSignal {
      // AbortSignal.any of signals already aborted is aborted: made late, it is the same signal.
      if (signal) return signal;
      const stopping = linkedSignal(o.shutdown);
      unlink = stopping.unlink;
      if (deadline !== undefined)
        timeout = AbortSignal.timeout(Math.max(0, Math.ceil(deadline - performance.now())));
      const cancel = o.cancel();
      signal = AbortSignal.any(timeout ? [stopping.signal, cancel, timeout] : [stopping.signal, cancel]);
      return signal;
    },
    get log(): Logger {
      return logOf();
    },
    prepareCommand: (argv, env, cwd) => {
      const log = logOf();
      const prepared = o.commands.prepare({ argv, env, cwd }, log);
      try {
        checkSealedProgram(o.programs, argv[0] ?? '', prepared.file);
      } catch (e) {
        log.warn(
          { event: 'dispatch.refused', rule: 'program_identity', reason: 'program_identity', argv0: argv[0] },
          (e as Error).message,
        );
        throw e;
      }
      return prepared;
    },
    ...(o.trace ? { traceparent: formatTraceparent(o.trace) } : {}),
    resolvePath: (path) => {
      const verdict = checkWorkspacePath(o.workspace, path, o.workspaceRules);
      if (!verdict.ok) throw new TerminalStepError('job_policy_denied', verdict.reason, { path });
      return verdict.absolute;
    },
  };
  return {
    ctx,
    timedOut: () => timeout?.aborted ?? (deadline !== undefined && performance.now() >= deadline),
    dispose: () => unlink?.(),
  };
};
