import type { Catalog } from '../../blueprints/catalog.js';
import type { JobRepository } from '../../blueprints/jobs/repository.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { JobSpec } from '../../blueprints/jobs/spec.js';
import type { Plan } from '../../blueprints/plan.js';
import { hashJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import { type EventData, validateEventData } from '../../contracts/events/catalog.js';
import { runStream } from '../../contracts/events/streams.js';
import { isJobId, isRunId, type RunId } from '../../contracts/ids.js';
import type { JsonObject } from '../../contracts/json.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { planFork } from '../../machines/fork.js';
import { MACHINE_VERSION } from '../../machines/machine-version.js';
import { createRunProgram } from '../../machines/program.js';

export type TriggerKind = EventData<'run.requested'>['trigger']['kind'];

/** A request for a new run of a job, however it arrived (CLI, cron, rerun). */
export interface RunRequest {
  jobId: string;
  /** Merged over the job spec's `input` (unless `inputIsFinal`). */
  input?: JsonObject;
  /** The input was validated when the run was requested (re-preparing a queued run). */
  inputIsFinal?: boolean;
  /** Default: the job's `runtime.dry_run`. */
  dryRun?: boolean;
  /** Default: the policy's `default_principal`. */
  principal?: string;
  trigger: { kind: TriggerKind; at?: number };
  /** A re-run of an earlier run of the same job; with `fromStep` or `gatesOnly` it is a fork. */
  rerun?: { parentRunId: string; fromStep?: string; gatesOnly?: boolean };
  /** The request's idempotency key and the hash of what it asked (idempotency.ts). */
  idempotency?: { key: string; requestHash: string };
}

/** Everything needed to record and start a run, computed before anything is written. */
export interface PreparedRun {
  runId: RunId;
  spec: JobSpec;
  requested: EventData<'run.requested'>;
  /** A fork also records `run.forked` in the run's stream. */
  forked?: EventData<'run.forked'>;
  started: EventData<'run.started'>;
}

export interface PrepareDeps {
  jobs: JobRepository;
  catalog: Catalog;
  store: EventStore;
  defaultPrincipal: string;
  kernelVersion: string;
  env: Record<string, string>;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const inputInvalid = (jobId: string, blueprint: string, issues: { path: string; message: string }[]) => {
  const first = issues[0];
  const detail = first ? `: ${first.path || '(root)'}: ${first.message}` : '';
  return new LilyError('job_input_invalid', `job ${jobId}: run input rejected by ${blueprint}${detail}`, {
    job: jobId,
    blueprint,
    issues,
  });
};

/** The run input, merged over the spec's default and checked against the blueprint's input schema. */
const runInput = (
  spec: JobSpec,
  blueprint: { id: string; version: string; input: { safeParse(v: unknown): unknown } },
  base: JsonObject,
  input: JsonObject | undefined,
): JsonObject => {
  const name = `${blueprint.id}@${blueprint.version}`;
  if (input !== undefined && !isObject(input)) {
    throw inputInvalid(spec.id, name, [{ path: '', message: 'the run input must be an object' }]);
  }
  const merged = { ...base, ...input };
  const result = blueprint.input.safeParse(merged) as
    | { success: true; data: unknown }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    }));
    throw inputInvalid(spec.id, name, issues);
  }
  if (!isObject(result.data)) {
    throw inputInvalid(spec.id, name, [{ path: '', message: 'the run input must be an object' }]);
  }
  return result.data;
};

const loadParent = async (store: EventStore, parentRunId: string, jobId: string) => {
  const missing = () =>
    new LilyError('run_not_found', `no run ${parentRunId} to re-run`, { runId: parentRunId });
  if (!isRunId(parentRunId)) throw missing();
  const events = await store.readStream(runStream(parentRunId));
  const started = events.find((e) => e.type === 'run.started');
  if (!started) throw missing();
  const data = validateEventData<'run.started'>('run.started', started.data);
  if (data.jobId !== jobId) {
    throw new LilyError('usage_invalid', `run ${parentRunId} is a run of job ${data.jobId}, not ${jobId}`, {
      runId: parentRunId,
      jobId: data.jobId,
      requested: jobId,
    });
  }
  return { events, started: data };
};

/**
 * Validates a run request and computes what the run will pin: the job spec, the plan (with
 * the job's runtime caps) and its hash, the input and its hash, the principal, the env.
 * Writes nothing.
 *
 * Throws `job_not_found`, `job_invalid_spec`, `job_target_unresolved`, `job_bindings_invalid`,
 * `blueprint_*` / `job_kind_unknown` / `stage_*` (compile), `job_input_invalid`; for re-runs
 * `run_not_found` (no such parent), `usage_invalid` (parent of another job, unknown
 * `fromStep`, input given to a fork), `replay_plan_drift`.
 */
const resolvedBySpec = new WeakMap<object, ReturnType<typeof resolveJob>>();

export const prepareRun = async (deps: PrepareDeps, runId: RunId, req: RunRequest): Promise<PreparedRun> => {
  if (!isJobId(req.jobId)) {
    throw new LilyError('job_not_found', `no job "${req.jobId}"`, { id: req.jobId });
  }
  const { spec, file, locate } = await deps.jobs.load(req.jobId);
  const dryRun = req.dryRun ?? spec.runtime.dry_run;
  const principal = req.principal ?? deps.defaultPrincipal;
  const parent = req.rerun ? await loadParent(deps.store, req.rerun.parentRunId, spec.id) : undefined;
  const fork = req.rerun && (req.rerun.fromStep !== undefined || req.rerun.gatesOnly === true);
  const trigger = {
    ...req.trigger,
    ...(req.rerun ? { parentRunId: req.rerun.parentRunId } : {}),
    ...(req.rerun?.fromStep !== undefined ? { fromStep: req.rerun.fromStep } : {}),
    ...(req.rerun?.gatesOnly ? { gatesOnly: true } : {}),
  };
  const keyed = req.idempotency
    ? { idempotencyKey: req.idempotency.key, requestHash: req.idempotency.requestHash }
    : {};
  const common = {
    kernelVersion: deps.kernelVersion,
    machine: MACHINE_VERSION,
    env: deps.env,
    principal,
    dryRun,
    runId,
    jobId: spec.id,
  };

  if (parent && fork && req.rerun) {
    if (req.input !== undefined && !req.inputIsFinal && Object.keys(req.input).length > 0) {
      throw new LilyError(
        'usage_invalid',
        'a fork re-runs with its parent run input; no input may be given',
        {
          runId: req.rerun.parentRunId,
        },
      );
    }
    const p = parent.started;
    const program = createRunProgram(p.plan as unknown as Plan, { schemas: deps.catalog.schemas });
    const forkPlan = planFork(program, parent.events, {
      ...(req.rerun.fromStep !== undefined ? { fromStep: req.rerun.fromStep } : {}),
      gatesOnly: req.rerun.gatesOnly ?? false,
    });
    return {
      runId,
      spec,
      requested: { runId, jobId: spec.id, trigger, input: p.input, dryRun, principal, ...keyed },
      forked: forkPlan.forked,
      started: {
        ...common,
        blueprint: p.blueprint,
        bindings: p.bindings,
        plan: p.plan,
        planHash: p.planHash,
        input: p.input,
        inputHash: hashJson(p.input),
        parent: forkPlan.parent,
        memo: forkPlan.memo,
      },
    };
  }

  // Compiling is deterministic: an unchanged spec (the repository returns the same object for
  // an unchanged file) reuses its plan and hash.
  let resolved = resolvedBySpec.get(spec);
  if (!resolved) {
    resolved = resolveJob(deps.catalog, spec, { locate, file });
    resolvedBySpec.set(spec, resolved);
  }
  const specInput = isObject(spec.input) ? spec.input : {};
  const input = req.inputIsFinal
    ? runInput(spec, resolved.blueprint, {}, req.input)
    : runInput(spec, resolved.blueprint, parent ? parent.started.input : specInput, req.input);
  return {
    runId,
    spec,
    requested: { runId, jobId: spec.id, trigger, input, dryRun, principal, ...keyed },
    started: {
      ...common,
      blueprint: { id: resolved.blueprint.id, version: resolved.blueprint.version },
      bindings: spec.bindings,
      plan: resolved.plan as unknown as JsonObject,
      planHash: resolved.planHash,
      input,
      inputHash: hashJson(input),
      ...(parent ? { parent: { runId: parent.started.runId, gatesOnly: false } } : {}),
    },
  };
};

/** The `RunRequest` that re-prepares a run recorded by `run.requested` (after a restart). */
export const requestFromRecord = (r: EventData<'run.requested'>): RunRequest => {
  const t = r.trigger as Record<string, unknown>;
  const rerun =
    typeof t.parentRunId === 'string'
      ? {
          parentRunId: t.parentRunId,
          ...(typeof t.fromStep === 'string' ? { fromStep: t.fromStep } : {}),
          ...(t.gatesOnly === true ? { gatesOnly: true } : {}),
        }
      : undefined;
  return {
    jobId: r.jobId,
    input: r.input,
    inputIsFinal: true,
    dryRun: r.dryRun,
    principal: r.principal,
    trigger: { kind: r.trigger.kind, ...(r.trigger.at !== undefined ? { at: r.trigger.at } : {}) },
    ...(rerun ? { rerun } : {}),
    ...(r.idempotencyKey !== undefined && r.requestHash !== undefined
      ? { idempotency: { key: r.idempotencyKey, requestHash: r.requestHash } }
      : {}),
  };
};
