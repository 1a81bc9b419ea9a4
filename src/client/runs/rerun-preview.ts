import type { Catalog } from '../../blueprints/catalog.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { Plan } from '../../blueprints/plan.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { JsonObject } from '../../contracts/json.js';
import { planFork } from '../../machines/fork.js';
import { createRunProgram } from '../../machines/program.js';
import type { Project } from '../../project/open.js';

/** What a re-run will do, before it is requested. */
export interface RerunPreview {
  parentRunId: string;
  jobId: string;
  /** `fork`: the parent's pinned plan, outputs before `fromStep` reused; `fresh`: the job as it is now. */
  kind: 'fork' | 'fresh';
  fromStep: string | null;
  gatesOnly: boolean;
  /** Steps whose recorded outputs are copied from the parent (a fork), in plan order. */
  memoized: string[];
  /** Steps that will run (again), in plan order. */
  rerun: string[];
  /** The plan hash the parent pinned (null: it never started). */
  parentPlanHash: string | null;
  /** The plan hash the new run will pin (a fork: the parent's; fresh: the job's plan now). */
  planHash: string;
  /** The input the new run gets (a fork: always the parent's). */
  input: JsonObject;
}

/**
 * A fork's effect, derived exactly as the scheduler derives it (`planFork` on the parent's
 * pinned plan and log): which steps are memoized and which run again. Throws `run_not_found`
 * (the parent never started), `usage_invalid` (an unknown `fromStep`; neither option).
 */
export const previewFork = (
  catalog: Catalog,
  runId: string,
  events: readonly StoredEvent[],
  o: { fromStep?: string; gatesOnly?: boolean },
): RerunPreview => {
  const started = events.find((e) => e.type === 'run.started');
  if (!started) {
    throw new LilyError('run_not_found', `run ${runId} never started: there is nothing to fork`, { runId });
  }
  const data = started.data as EventData<'run.started'>;
  const program = createRunProgram(data.plan as unknown as Plan, { schemas: catalog.schemas });
  const fork = planFork(program, events, {
    ...(o.fromStep !== undefined ? { fromStep: o.fromStep } : {}),
    gatesOnly: o.gatesOnly === true,
  });
  return {
    parentRunId: runId,
    jobId: data.jobId,
    kind: 'fork',
    fromStep: o.fromStep ?? null,
    gatesOnly: o.gatesOnly === true,
    memoized: Object.keys(fork.memo),
    rerun: [...fork.rerun],
    parentPlanHash: data.planHash,
    planHash: data.planHash,
    input: data.input,
  };
};

/**
 * A fresh re-run's effect: the job compiled as it is now (its plan hash next to the parent's
 * shows whether the spec changed), every step runs, the input is the parent's merged with
 * `input` (the scheduler validates it against the blueprint when the run is requested).
 * Throws what resolving the job throws (`job_not_found`, `job_bindings_invalid`, ...).
 */
export const previewFresh = async (
  project: Project,
  runId: string,
  jobId: string,
  events: readonly StoredEvent[],
  input: JsonObject,
): Promise<RerunPreview> => {
  const job = await project.jobs.load(jobId);
  const resolved = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file });
  const started = events.find((e) => e.type === 'run.started');
  const requested = events.find((e) => e.type === 'run.requested');
  const parentInput =
    (started?.data as EventData<'run.started'> | undefined)?.input ??
    (requested?.data as EventData<'run.requested'> | undefined)?.input ??
    {};
  return {
    parentRunId: runId,
    jobId,
    kind: 'fresh',
    fromStep: null,
    gatesOnly: false,
    memoized: [],
    rerun: resolved.plan.steps.map((s) => s.id),
    parentPlanHash: (started?.data as EventData<'run.started'> | undefined)?.planHash ?? null,
    planHash: resolved.planHash,
    input: { ...parentInput, ...input },
  };
};
