import { stringify } from 'yaml';
import type { JobEntry, JobSpec, JobValidation } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { exitCodeFor } from '../exit.js';
import { carryDir } from '../hints.js';
import { renderErrorPanel } from '../render/panel.js';
import { printable } from '../render/printable.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

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
          ? [
              j.id,
              printable(j.title, { oneLine: true }),
              targetText(j.target),
              triggerText(j.trigger),
              c.green('ok'),
            ]
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
          ['title', printable(spec.title, { oneLine: true })],
          ['description', spec.description === undefined ? undefined : printable(spec.description)],
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

/** The policy's findings of one job, one per line: a denial with its fix, or a note. */
const policyLines = (c: Colors, job: JobValidation, dirArg: string | undefined): string[] =>
  job.policy.flatMap((f) =>
    f.severity === 'error'
      ? [
          `${c.red('✗')} ${c.bold(job.id)} step ${c.bold(f.stepId)}: denied by policy (rule ${f.rule}): ${printable(f.reason, { oneLine: true })}`,
          `    ${c.dim('fix:')} ${carryDir(f.fix, dirArg)}`,
        ]
      : [
          `${c.dim('note:')} ${c.bold(job.id)} step ${c.bold(f.stepId)}: ${printable(f.reason, { oneLine: true })}`,
        ],
  );

/**
 * `lily jobs validate [id]`: spec, target, bindings, compile and the policy of one job or every
 * job. JSON `{ok, jobs: [{id, file, ok, blueprint?, planHash?, warnings, policy, error?: {code,
 * message, data}}]}` (`warnings`: deprecations, e.g. an old job kind version; the job stays valid;
 * `policy`: `[{stepId, severity: error|note, rule, reason, fix?}]`, what the policy gate will say
 * about each step of a manual run: an error is a denial every run would meet, with its fix).
 * Exit 2 when any job is invalid or denied by the policy (1 when an error is a failure rather
 * than bad input).
 */
export const validateJobs = async (ctx: CliContext, id: string | undefined): Promise<Outcome> => {
  const { dir, jobs: results } = await ctx.client.jobs.validate(id);
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  const bad = results.filter((r) => !r.ok).length;
  const exitCode = bad === 0 ? 0 : errors.some((e) => exitCodeFor(e) === 1) ? 1 : 2;
  const ok = bad === 0;
  return {
    exitCode,
    data: { ok, jobs: results.map((r) => ({ ...r, error: r.error?.toJSON() })) },
    human: ({ colors: c }) => {
      if (results.length === 0) return `No jobs in ${dir}`;
      const rows = results.map((r) => [
        r.id,
        r.ok ? c.green('valid') : c.red(r.error?.code ?? 'policy_denied'),
        r.blueprint ?? '',
        r.planHash?.slice(0, 12) ?? '',
      ]);
      const table = renderTable(c, ['JOB', 'RESULT', 'BLUEPRINT', 'PLAN HASH'], rows);
      const panels = errors.map((e) => renderErrorPanel(c, e));
      panels.push(...results.flatMap((r) => policyLines(c, r, ctx.dirArg)));
      panels.push(
        ...results.flatMap((r) => r.warnings.map((w) => c.yellow(`warning: ${carryDir(w, ctx.dirArg)}`))),
      );
      const summary = ok ? c.green(`${results.length} valid`) : c.red(`${bad} of ${results.length} invalid`);
      return [table, ...panels, summary].join('\n');
    },
  };
};
