import type { JobEntry, LilyClient } from '../../client/index.js';
import { toLilyError } from '../../contracts/errors.js';
import type { Json } from '../../contracts/json.js';
import type { ActionResult, JobDetail, JobList, JobRow, Preview, RunRow } from '../model/wire.js';
import { optionalBoolean, optionalObject } from './params.js';
import type { Route } from './router.js';

const LAST_RUNS = 5;
const NEXT_FIRES = 5;

const lastRuns = async (client: LilyClient, jobId: string): Promise<RunRow[]> =>
  (await client.runs.search({ jobId, limit: LAST_RUNS })).runs.map(({ version: _v, ...row }) => row);

const jobRow = async (client: LilyClient, entry: JobEntry): Promise<JobRow> => {
  const runs = await lastRuns(client, entry.id);
  if (!entry.valid) {
    return {
      id: entry.id,
      title: null,
      valid: false,
      error: { code: entry.error.code, message: entry.error.message },
      target: null,
      trigger: null,
      next: [],
      recent: [],
      lastRuns: runs,
    };
  }
  const schedule = await client.jobs.schedule(entry.id, { count: NEXT_FIRES });
  return {
    id: entry.id,
    title: entry.title,
    valid: true,
    error: null,
    target: {
      id: entry.target.id,
      ...(entry.target.version !== undefined ? { version: entry.target.version } : {}),
    },
    trigger: entry.trigger,
    next: schedule.next,
    recent: schedule.recent,
    lastRuns: runs,
  };
};

const listJobs = async (client: LilyClient): Promise<JobList> => {
  const { jobs } = await client.jobs.list();
  return { jobs: await Promise.all(jobs.map((j) => jobRow(client, j))) };
};

const jobDetail = async (client: LilyClient, id: string): Promise<JobDetail> => {
  const { jobs } = await client.jobs.list();
  const entry = jobs.find((j) => j.id === id);
  // Not listed: let the client say why (job_not_found with its data).
  if (!entry) await client.jobs.get(id);
  const row = await jobRow(client, entry as JobEntry);
  if (!entry?.valid)
    return { ...row, file: entry?.file ?? null, spec: null, plan: null, planError: row.error };
  const { file, spec } = await client.jobs.get(id);
  try {
    const plan = await client.blueprints.plan(id);
    return {
      ...row,
      file,
      spec: spec as unknown as Json,
      plan: {
        planHash: plan.planHash,
        steps: plan.plan.steps.map((s) => ({ id: s.id, executor: s.executor, needs: [...s.needs] })),
      },
      planError: null,
    };
  } catch (e) {
    const error = toLilyError(e);
    return {
      ...row,
      file,
      spec: spec as unknown as Json,
      plan: null,
      planError: { code: error.code, message: error.message },
    };
  }
};

const runOptions = (body: Record<string, unknown>) => {
  const input = optionalObject(body, 'input');
  const dryRun = optionalBoolean(body, 'dryRun');
  return { ...(input !== undefined ? { input } : {}), ...(dryRun ? { dryRun } : {}) };
};

const runPreview = async (
  client: LilyClient,
  id: string,
  body: Record<string, unknown>,
): Promise<Preview> => {
  const o = runOptions(body);
  const [{ spec }, plan] = await Promise.all([client.jobs.get(id), client.blueprints.plan(id)]);
  const base = (spec.input ?? {}) as { [key: string]: Json };
  const input = { ...base, ...(o.input ?? {}) };
  return {
    action: 'run',
    allowed: true,
    blocked: null,
    effects: [
      `A run of job ${id} is requested from the engine's scheduler, which checks the spec, bindings, input and policy before anything runs.`,
      `It pins ${plan.blueprint.id}@${plan.blueprint.version}, plan ${plan.planHash.slice(0, 12)}, with ${plan.plan.steps.length} step(s): ${plan.plan.steps.map((s) => s.id).join(', ')}.`,
      o.dryRun ? 'Dry run: executors simulate their side effects.' : 'Steps run for real (not a dry run).',
      ...plan.warnings,
    ],
    facts: { jobId: id, planHash: plan.planHash, input, dryRun: o.dryRun === true },
  };
};

export const jobRoutes: Route[] = [
  { method: 'GET', path: '/api/jobs', handle: ({ client }) => listJobs(client) },
  {
    method: 'GET',
    path: '/api/jobs/:id',
    handle: ({ client, params }) => jobDetail(client, params.id ?? ''),
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/run/preview',
    handle: ({ client, params, body }) => runPreview(client, params.id ?? '', body),
  },
  {
    method: 'POST',
    path: '/api/jobs/:id/run',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const run = await client.runs.submit(params.id ?? '', runOptions(body));
      return {
        ok: true,
        runId: run.runId,
        message: `run ${run.runId} of job ${params.id} requested`,
        data: { runId: run.runId },
      };
    },
  },
];
