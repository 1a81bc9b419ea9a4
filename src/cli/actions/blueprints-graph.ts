import { compileBlueprint } from '../../blueprints/compile.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { Plan } from '../../blueprints/plan.js';
import { hasErrorCode, LilyError } from '../../contracts/errors.js';
import { toDot, toMermaid } from '../../machines/graph-export.js';
import { createRunProgram } from '../../machines/program.js';
import { catalogFor, openProject } from '../../project/open.js';
import type { CliContext, Outcome } from '../context.js';

export interface GraphOptions {
  job?: string;
  format?: string;
  view?: string;
}

const option = <T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T => {
  if (raw === undefined) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new LilyError('usage_invalid', `--${name} must be one of ${allowed.join(', ')}, not ${raw}`, {
    reason: 'invalidArgument',
    option: `--${name}`,
  });
};

/** The plan to draw: the job's (its bindings and runtime caps) or the blueprint's with `{}` bindings. */
const planFor = async (ctx: CliContext, id: string, jobId: string | undefined): Promise<Plan> => {
  if (jobId === undefined) {
    const catalog = await catalogFor(ctx.dir);
    try {
      return compileBlueprint(catalog, catalog.blueprints.get(id), {}).plan;
    } catch (e) {
      if (!hasErrorCode(e, 'blueprint_bindings_invalid')) throw e;
      throw new LilyError(
        'blueprint_bindings_invalid',
        `${e.message}: pass --job <id> to use a job's bindings`,
        e.data,
        {
          cause: e,
        },
      );
    }
  }
  const project = await openProject(ctx.dir);
  const job = await project.jobs.load(jobId);
  const resolved = resolveJob(project.catalog, job.spec, { locate: job.locate, file: job.file });
  if (resolved.blueprint.id !== id) {
    throw new LilyError('usage_invalid', `job ${jobId} targets ${resolved.blueprint.id}, not ${id}`, {
      reason: 'invalidArgument',
      job: jobId,
      target: resolved.blueprint.id,
    });
  }
  return resolved.plan;
};

/**
 * `lily blueprints graph <id> [--job <id>] [--format mermaid|dot] [--view machine|plan]`: the
 * compiled run machine as Mermaid (a region per step and its lifecycle; `--view plan`: steps,
 * needs and routes) or Graphviz DOT. Without `--job` the blueprint is compiled with `{}`
 * bindings (`blueprint_bindings_invalid` when it needs some: pass `--job`).
 * JSON `{blueprint, planHash, format, view, graph}`.
 */
export const graphBlueprint = async (
  ctx: CliContext,
  id: string,
  options: GraphOptions,
): Promise<Outcome> => {
  const format = option('format', options.format, ['mermaid', 'dot'] as const, 'mermaid');
  const view = option('view', options.view, ['machine', 'plan'] as const, 'machine');
  const program = createRunProgram(await planFor(ctx, id, options.job));
  const graph = format === 'dot' ? toDot(program) : toMermaid(program, view);
  return {
    data: { blueprint: program.plan.blueprint, planHash: program.planHash, format, view, graph },
    human: () => graph.trimEnd(),
  };
};
