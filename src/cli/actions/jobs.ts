import { stringify } from 'yaml';
import type { JobEntry, JobSpec } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { exitCodeFor } from '../exit.js';
import { carryDir } from '../hints.js';
import { renderErrorPanel } from '../render/panel.js';
import { renderFields, renderTable } from '../render/table.js';

const targetText = (target: JobSpec['target']): string =>
  target.version === undefined ? target.id : `${target.id}@${target.version}`;

const triggerText = (t: JobSpec['trigger']): string =>
  'cron' in t ? `cron "${t.cron}" ${t.timezone} (overlap ${t.overlap})` : 'manual';

const listJson = (j: JobEntry) =>
  j.valid ? j : { id: j.id, file: j.file, valid: false, error: j.error.toJSON() };

/** `lily jobs list`: JSON `{dir, jobs: [{id, file, title, target, trigger, valid} | {id, file, valid: false, error}]}`. */
export const listJobs = async (ctx: CliContext): Promise<Outcome> => {
  const { dir, jobs } = await ctx.client.jobs.list();
  return {
    data: { dir, jobs: jobs.map(listJson) },
    human: ({ colors: c }) => {
      if (jobs.length === 0) return `No jobs in ${dir}`;
      const rows = jobs.map((j) =>
        j.valid
          ? [j.id, j.title, targetText(j.target), triggerText(j.trigger), c.green('ok')]
          : [j.id, '', '', '', c.red(j.error.code)],
      );
      return renderTable(c, ['ID', 'TITLE', 'TARGET', 'TRIGGER', 'SPEC'], rows);
    },
  };
};

/** `lily jobs show <id>`: JSON `{id, file, spec}` (the spec with defaults filled in). */
export const showJob = async (ctx: CliContext, id: string): Promise<Outcome> => {
  const { spec, file } = await ctx.client.jobs.get(id);
  return {
    data: { id: spec.id, file, spec },
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['id', c.bold(spec.id)],
          ['title', spec.title],
          ['description', spec.description],
          ['file', file],
          ['target', targetText(spec.target)],
          ['trigger', triggerText(spec.trigger)],
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

/**
 * `lily jobs validate [id]`: spec, target, bindings and compile of one job or every job.
 * JSON `{ok, jobs: [{id, file, ok, blueprint?, planHash?, warnings, error?: {code, message, data}}]}`
 * (`warnings`: deprecations, e.g. an old job kind version; the job stays valid).
 * Exit 2 when any job is invalid (1 when an error is a failure rather than bad input).
 */
export const validateJobs = async (ctx: CliContext, id: string | undefined): Promise<Outcome> => {
  const { dir, jobs: results } = await ctx.client.jobs.validate(id);
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  const exitCode = errors.length === 0 ? 0 : errors.some((e) => exitCodeFor(e) === 1) ? 1 : 2;
  const ok = errors.length === 0;
  return {
    exitCode,
    data: { ok, jobs: results.map((r) => ({ ...r, error: r.error?.toJSON() })) },
    human: ({ colors: c }) => {
      if (results.length === 0) return `No jobs in ${dir}`;
      const rows = results.map((r) => [
        r.id,
        r.ok ? c.green('valid') : c.red(r.error?.code ?? 'invalid'),
        r.blueprint ?? '',
        r.planHash?.slice(0, 12) ?? '',
      ]);
      const table = renderTable(c, ['JOB', 'RESULT', 'BLUEPRINT', 'PLAN HASH'], rows);
      const panels = errors.map((e) => renderErrorPanel(c, e));
      panels.push(
        ...results.flatMap((r) => r.warnings.map((w) => c.yellow(`warning: ${carryDir(w, ctx.dirArg)}`))),
      );
      const summary = ok
        ? c.green(`${results.length} valid`)
        : c.red(`${errors.length} of ${results.length} invalid`);
      return [table, ...panels, summary].join('\n');
    },
  };
};
