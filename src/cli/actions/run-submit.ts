import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../../actors/bus/bus.js';
import { runRequestReplySchema, type SchedMessage } from '../../actors/messages.js';
import { schedSubject } from '../../actors/subjects.js';
import { isErrorCode } from '../../contracts/error-codes.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { projectReceipt } from '../../eventstore/projections/receipt.js';
import type { RunReceipt } from '../../eventstore/projections/receipt-types.js';
import { type LilyStorage, openLilyStorage } from '../../eventstore/storage.js';
import { receiptRelativeDir } from '../../eventstore/write-receipts.js';
import type { CliContext, Outcome } from '../context.js';
import { RunProgress } from '../render/progress.js';
import { type EphemeralEngine, startEphemeralEngine } from './ephemeral-engine.js';
import { connectLive, findLiveTarget, type ProjectSettings } from './live-target.js';
import { RunFollower } from './run-follow.js';
import { renderRunSummary } from './run-summary.js';

export type RunRequestMessage = Extract<SchedMessage, { type: 'run.request' }>;

/** Which engine ran the command's request. */
export type EngineMode = 'deployment' | 'explicit' | 'ephemeral';

interface Engine {
  mode: EngineMode;
  bus: Bus;
  store?: EventStore;
  ephemeral?: EphemeralEngine;
  storage?: LilyStorage;
}

const REQUEST_TIMEOUT_MS = 15_000;

const connect = async (ctx: CliContext, settings: ProjectSettings): Promise<Engine> => {
  const target = await findLiveTarget(ctx, settings);
  if (target) return { mode: target.via, bus: await connectLive(target) };
  const ephemeral = await startEphemeralEngine(settings.paths);
  return { mode: 'ephemeral', bus: ephemeral.bus, store: ephemeral.engine.storage.events, ephemeral };
};

const release = async (engine: Engine): Promise<void> => {
  if (engine.ephemeral) await engine.ephemeral.stop();
  else await engine.bus.close();
  await engine.storage?.close();
};

const refused = (error: { code: string; message: string; data: Record<string, unknown> }): LilyError =>
  new LilyError(isErrorCode(error.code) ? error.code : 'internal_error', error.message, error.data);

/** Waits (at most 3 s) until the engine's projector has written the run's receipt directory. */
const projected = async (settings: ProjectSettings, events: StoredEvent[]): Promise<void> => {
  const dir = join(settings.paths.runs, receiptRelativeDir(projectReceipt(events)));
  for (let i = 0; !existsSync(dir) && i < 60; i++) await new Promise((r) => setTimeout(r, 50));
};

/** The outcome of a followed run: summary and exit code; a failed run throws its error (panel). */
const finished = (ctx: CliContext, settings: ProjectSettings, events: StoredEvent[], mode: EngineMode) => {
  const receipt = projectReceipt(events);
  const dir = join(settings.paths.runs, receiptRelativeDir(receipt));
  const receiptDir = existsSync(dir) ? dir : undefined;
  if (!ctx.json) ctx.ui.out(renderRunSummary(ctx.ui.colors, receipt, receiptDir));
  if (receipt.status === 'failed') throw runFailed(receipt);
  const data = {
    runId: receipt.runId,
    jobId: receipt.jobId,
    engine: mode,
    status: receipt.status,
    receiptDir: receiptDir ?? null,
    receipt,
  };
  return {
    data,
    human: () => '',
    exitCode: receipt.status === 'succeeded' ? 0 : 1,
  } satisfies Outcome;
};

/** A failed run as its error: the step's own error (a policy rule and reasons, ...) lifted into message and data. */
const runFailed = (receipt: RunReceipt): LilyError => {
  const error = receipt.error ?? { code: 'job_execution_failed', message: 'the run failed', data: {} };
  const { error: inner, ...rest } = error.data as {
    error?: { message?: string; data?: Record<string, unknown> };
  };
  const message = inner?.message ? `${error.message}: ${inner.message}` : error.message;
  return new LilyError(isErrorCode(error.code) ? error.code : 'job_execution_failed', message, {
    runId: receipt.runId,
    jobId: receipt.jobId,
    ...rest,
    ...(inner?.data ?? {}),
  });
};

const onInterrupt = (engine: Engine): (() => void) => {
  if (!engine.ephemeral) return () => undefined;
  const stop = () => {
    process.stderr.write(
      '\ninterrupted: stopping the ephemeral engine (the run resumes at the next engine start)\n',
    );
    void release(engine).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
};

/**
 * Sends a `run.request` to the scheduler of the running engine (deployment or `--nats`), or,
 * when none runs, of an ephemeral in-process engine that lives as long as this command (which
 * then waits for the run to finish). With `follow` (or an ephemeral engine) the run's events
 * are followed to completion: progress lines, then the summary; a failed run throws its
 * error (`job_policy_denied`, `job_execution_failed`, ...) with the run id in `data`.
 *
 * Refusals of the scheduler are thrown as they came (`job_not_found`, `job_bindings_invalid`, ...).
 */
export const submitRun = async (
  ctx: CliContext,
  settings: ProjectSettings,
  request: RunRequestMessage,
  options: { follow: boolean },
): Promise<Outcome> => {
  const engine = await connect(ctx, settings);
  const offInterrupt = onInterrupt(engine);
  try {
    const wait = options.follow || engine.mode === 'ephemeral';
    const showProgress = options.follow && !ctx.json;
    const progress = showProgress
      ? new RunProgress(ctx.ui.colors, {
          tty: process.stdout.isTTY === true,
          write: (t) => void process.stdout.write(t),
        })
      : undefined;
    let follower: RunFollower | undefined;
    if (wait) {
      if (!engine.store) {
        engine.storage = await openLilyStorage({ dir: settings.paths.root });
        engine.store = engine.storage.events;
      }
      follower = new RunFollower(engine.store, (e) => progress?.event(e));
      follower.listen(engine.bus, settings.ns, request.jobId);
    }
    const reply = await engine.bus.requestTyped(schedSubject(settings.ns), request, runRequestReplySchema, {
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    if (!reply.ok) throw refused(reply.error);
    const { runId, jobId } = reply;
    if (!follower) {
      return {
        data: { runId, jobId, engine: engine.mode },
        human: ({ colors: c }) =>
          `run ${c.bold(runId)} requested (job ${jobId})\nfollow it: lily jobs tail ${jobId}    show it: lily runs show ${runId}`,
      };
    }
    if (showProgress) ctx.ui.out(ctx.ui.colors.dim(`run ${runId} of job ${jobId} (engine: ${engine.mode})`));
    try {
      const events = await follower.follow(runId);
      await projected(settings, events);
      return finished(ctx, settings, events, engine.mode);
    } finally {
      progress?.stop();
      follower.close();
    }
  } finally {
    offInterrupt();
    await release(engine);
  }
};
