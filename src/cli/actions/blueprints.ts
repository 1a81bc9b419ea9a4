import { stringify } from 'yaml';
import type { Plan } from '../../client/index.js';
import type { CliContext, Outcome } from '../context.js';
import { carryDir } from '../hints.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';

/** `lily blueprints list`: JSON `{blueprints: [{id, version, summary, kind?}], packs}`. */
export const listBlueprints = async (ctx: CliContext): Promise<Outcome> => {
  const { blueprints, packs } = await ctx.client.blueprints.list();
  return {
    data: { blueprints, packs },
    human: ({ colors: c }) =>
      renderTable(
        c,
        ['ID', 'VERSION', 'KIND', 'SUMMARY'],
        blueprints.map((b) => [c.bold(b.id), b.version, b.kind ?? '', b.summary]),
      ),
  };
};

/**
 * `lily blueprints show <id[@version]>`: JSON `{id, version, summary, kind?, bindings, input, output}`
 * (schemas as JSON Schema). Throws `blueprint_not_found` `{id, version, known}`.
 */
export const showBlueprint = async (ctx: CliContext, ref: string): Promise<Outcome> => {
  const description = await ctx.client.blueprints.show(ref);
  return {
    data: description,
    human: ({ colors: c }) =>
      [
        renderFields(c, [
          ['id', c.bold(description.id)],
          ['version', description.version],
          ['kind', description.kind],
          ['summary', description.summary],
        ]),
        '',
        c.bold('bindings (JSON Schema)'),
        stringify(description.bindings).trimEnd(),
        '',
        c.bold('input'),
        stringify(description.input).trimEnd(),
        '',
        c.bold('output'),
        stringify(description.output).trimEnd(),
      ].join('\n'),
  };
};

const stepRows = (c: Colors, plan: Plan) =>
  plan.steps.map((s) => [
    c.bold(s.id),
    s.executor,
    s.needs.join(', '),
    String(s.retry.maxAttempts),
    s.timeoutMs === undefined ? '' : `${s.timeoutMs} ms`,
    s.gates.map((g) => g.id).join(', '),
    s.routes.map((r) => `${r.on}→${r.to}`).join(', '),
  ]);

/**
 * `lily blueprints plan <job-id>`: JSON `{job, blueprint: {id, version}, planHash,
 * blueprintPlanHash, plan, warnings}` (`warnings`: deprecations, e.g. an old job kind version).
 */
export const planJob = async (ctx: CliContext, jobId: string): Promise<Outcome> => {
  const planned = await ctx.client.blueprints.plan(jobId);
  const { plan, warnings } = planned;
  return {
    data: planned,
    human: ({ colors: c }) =>
      [
        ...warnings.map((w) => c.yellow(`warning: ${carryDir(w, ctx.dirArg)}`)),
        renderFields(c, [
          ['job', c.bold(planned.job)],
          ['blueprint', `${plan.blueprint.id}@${plan.blueprint.version}`],
          ['kind', plan.kind],
          ['run timeout', plan.timeoutMs === undefined ? undefined : `${plan.timeoutMs} ms`],
          ['plan hash', c.cyan(planned.planHash)],
        ]),
        renderTable(
          c,
          ['STEP', 'EXECUTOR', 'NEEDS', 'ATTEMPTS', 'TIMEOUT', 'GATES', 'ROUTES'],
          stepRows(c, plan),
        ),
        c.dim('--json prints the whole plan'),
      ].join('\n'),
  };
};
