import { stringify } from 'yaml';
import type { JobLoadResult } from '../../blueprints/jobs/repository.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import { isCronTrigger, type JobSpec } from '../../blueprints/jobs/spec.js';
import { type LilyError, toLilyError } from '../../contracts/errors.js';
import { openProject } from '../../project/open.js';
import type { CliContext, Outcome } from '../context.js';
import { exitCodeFor } from '../exit.js';
import { renderErrorPanel } from '../render/panel.js';
import { renderFields, renderTable } from '../render/table.js';
import { deprecationWarnings } from './kind-deprecation.js';

const targetText = (spec: JobSpec): string =>
  spec.target.version === undefined ? spec.target.id : `${spec.target.id}@${spec.target.version}`;

const triggerText = (spec: JobSpec): string => {
  const t = spec.trigger;
  return isCronTrigger(t) ? `cron "${t.cron}" ${t.timezone} (overlap ${t.overlap})` : 'manual';
};

const listEntry = (r: JobLoadResult) =>
  r.ok
    ? {
        id: r.id,
        file: r.job.file,
        title: r.job.spec.title,
        target: r.job.spec.target,
        trigger: r.job.spec.trigger,
        valid: true,
      }
    : { id: r.id, file: r.file, valid: false, error: r.error.toJSON() };

/** `lily jobs list`: JSON `{jobs: [{id, file, title, target, trigger, valid} | {id, file, valid: false, error}]}`. */
export const listJobs = async (ctx: CliContext): Promise<Outcome> => {
  const project = await openProject(ctx.dir);
  const results = await project.jobs.loadAll();
  return {
    data: { dir: project.paths.jobs, jobs: results.map(listEntry) },
    human: ({ colors: c }) => {
      if (results.length === 0) return `No jobs in ${project.paths.jobs}`;
      const rows = results.map((r) =>
        r.ok
          ? [r.id, r.job.spec.title, targetText(r.job.spec), triggerText(r.job.spec), c.green('ok')]
          : [r.id, '', '', '', c.red(r.error.code)],
      );
      return renderTable(c, ['ID', 'TITLE', 'TARGET', 'TRIGGER', 'SPEC'], rows);
    },
  };
};

/** `lily jobs show <id>`: JSON `{id, file, spec}` (the spec with defaults filled in). */
export const showJob = async (ctx: CliContext, id: string): Promise<Outcome> => {
  const project = await openProject(ctx.dir);
  const { spec, file } = await project.jobs.load(id);
  return {
    data: { id: spec.id, file, spec },
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['id', c.bold(spec.id)],
          ['title', spec.title],
          ['description', spec.description],
          ['file', file],
          ['target', targetText(spec)],
          ['trigger', triggerText(spec)],
        ]),
        '',
        stringify({
          bindings: spec.bindings,
          runtime: spec.runtime,
          input: spec.input,
          output: spec.output,
        }).trimEnd(),
      ].join('\n'),
  };
};

interface Validation {
  id: string;
  file?: string;
  ok: boolean;
  blueprint?: string;
  planHash?: string;
  /** Deprecations (an old job kind version): the job still runs. */
  warnings: string[];
  error?: LilyError;
}

const validateOne = (project: Project, r: JobLoadResult): Validation => {
  if (!r.ok)
    return {
      id: r.id,
      ...(r.file === undefined ? {} : { file: r.file }),
      ok: false,
      warnings: [],
      error: r.error,
    };
  try {
    const resolved = resolveJob(project.catalog, r.job.spec, { locate: r.job.locate, file: r.job.file });
    const blueprint = `${resolved.blueprint.id}@${resolved.blueprint.version}`;
    const warnings = deprecationWarnings(project.catalog, r.id, resolved.plan.kind);
    return { id: r.id, file: r.job.file, ok: true, blueprint, planHash: resolved.planHash, warnings };
  } catch (e) {
    return { id: r.id, file: r.job.file, ok: false, warnings: [], error: toLilyError(e) };
  }
};

/**
 * `lily jobs validate [id]`: spec, target, bindings and compile of one job or every job.
 * JSON `{ok, jobs: [{id, file, ok, blueprint?, planHash?, warnings, error?: {code, message, data}}]}`
 * (`warnings`: deprecations, e.g. an old job kind version; the job stays valid).
 * Exit 2 when any job is invalid (1 when an error is a failure rather than bad input).
 */
export const validateJobs = async (ctx: CliContext, id: string | undefined): Promise<Outcome> => {
  const project = await openProject(ctx.dir);
  const loaded = id === undefined ? await project.jobs.loadAll() : await loadOne(project, id);
  const results = loaded.map((r) => validateOne(project, r));
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  const exitCode = errors.length === 0 ? 0 : errors.some((e) => exitCodeFor(e) === 1) ? 1 : 2;
  const ok = errors.length === 0;
  return {
    exitCode,
    data: { ok, jobs: results.map((r) => ({ ...r, error: r.error?.toJSON() })) },
    human: ({ colors: c }) => {
      if (results.length === 0) return `No jobs in ${project.paths.jobs}`;
      const rows = results.map((r) => [
        r.id,
        r.ok ? c.green('valid') : c.red(r.error?.code ?? 'invalid'),
        r.blueprint ?? '',
        r.planHash?.slice(0, 12) ?? '',
      ]);
      const table = renderTable(c, ['JOB', 'RESULT', 'BLUEPRINT', 'PLAN HASH'], rows);
      const panels = errors.map((e) => renderErrorPanel(c, e));
      panels.push(...results.flatMap((r) => r.warnings.map((w) => c.yellow(`warning: ${w}`))));
      const summary = ok
        ? c.green(`${results.length} valid`)
        : c.red(`${errors.length} of ${results.length} invalid`);
      return [table, ...panels, summary].join('\n');
    },
  };
};

type Project = Awaited<ReturnType<typeof openProject>>;

/** One named job: an invalid spec is a result to report; a missing job is the command's error. */
const loadOne = async (project: Project, id: string): Promise<JobLoadResult[]> => {
  try {
    return [{ ok: true, id, job: await project.jobs.load(id) }];
  } catch (e) {
    const error = toLilyError(e);
    if (error.code !== 'job_invalid_spec') throw error;
    const file = typeof error.data.file === 'string' ? error.data.file : undefined;
    return [{ ok: false, id, ...(file === undefined ? {} : { file }), error }];
  }
};
