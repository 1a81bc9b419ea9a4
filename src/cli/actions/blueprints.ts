import { stringify } from 'yaml';
import type { AnyBlueprint } from '../../blueprints/blueprint.js';
import { describeBlueprint } from '../../blueprints/describe.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { Plan } from '../../blueprints/plan.js';
import { catalogFor, openProject } from '../../project/open.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields, renderTable } from '../render/table.js';
import type { Colors } from '../render/ui.js';
import { deprecationWarnings } from './kind-deprecation.js';

const entry = (bp: AnyBlueprint) => ({
  id: bp.id,
  version: bp.version,
  summary: bp.summary,
  ...(bp.kind === undefined ? {} : { kind: bp.kind }),
});

/** `lily blueprints list`: JSON `{blueprints: [{id, version, summary, kind?}]}`. */
export const listBlueprints = async (ctx: CliContext): Promise<Outcome> => {
  const catalog = await catalogFor(ctx.dir);
  const blueprints = catalog.blueprints.list().map(entry);
  return {
    data: { blueprints, packs: catalog.packs },
    human: ({ colors: c }) =>
      renderTable(
        c,
        ['ID', 'VERSION', 'KIND', 'SUMMARY'],
        blueprints.map((b) => [c.bold(b.id), b.version, b.kind ?? '', b.summary]),
      ),
  };
};

/** `id` or `id@version`. */
const splitRef = (ref: string): { id: string; version?: string } => {
  const at = ref.lastIndexOf('@');
  return at > 0 ? { id: ref.slice(0, at), version: ref.slice(at + 1) } : { id: ref };
};

/**
 * `lily blueprints show <id[@version]>`: JSON `{id, version, summary, kind?, bindings, input, output}`
 * (schemas as JSON Schema). Throws `blueprint_not_found` `{id, version, known}`.
 */
export const showBlueprint = async (ctx: CliContext, ref: string): Promise<Outcome> => {
  const catalog = await catalogFor(ctx.dir);
  const { id, version } = splitRef(ref);
  const description = describeBlueprint(catalog.blueprints.get(id, version));
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
 * Throws what `load` and `resolveJob` throw.
 */
export const planJob = async (ctx: CliContext, jobId: string): Promise<Outcome> => {
  const project = await openProject(ctx.dir);
  const job = await project.jobs.load(jobId);
  const resolved = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file });
  const { plan } = resolved;
  const warnings = deprecationWarnings(project.catalog, job.spec.id, plan.kind);
  return {
    data: {
      job: job.spec.id,
      blueprint: plan.blueprint,
      planHash: resolved.planHash,
      blueprintPlanHash: resolved.blueprintPlanHash,
      plan,
      warnings,
    },
    human: ({ colors: c }) =>
      [
        ...warnings.map((w) => c.yellow(`warning: ${w}`)),
        renderFields(c, [
          ['job', c.bold(job.spec.id)],
          ['blueprint', `${plan.blueprint.id}@${plan.blueprint.version}`],
          ['kind', plan.kind],
          ['run timeout', plan.timeoutMs === undefined ? undefined : `${plan.timeoutMs} ms`],
          ['plan hash', c.cyan(resolved.planHash)],
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
