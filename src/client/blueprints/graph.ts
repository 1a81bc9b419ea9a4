import type { Catalog } from '../../blueprints/catalog.js';
import { compileBlueprint } from '../../blueprints/compile.js';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import type { Plan } from '../../blueprints/plan.js';
import { hasErrorCode, LilyError } from '../../contracts/errors.js';
import { toDot, toMermaid } from '../../machines/graph-export.js';
import { createRunProgram } from '../../machines/program.js';
import type { Project } from '../../project/open.js';

export type GraphFormat = 'mermaid' | 'dot';
export type GraphView = 'machine' | 'plan';

/** A blueprint's run machine drawn as text. */
export interface BlueprintGraph {
  blueprint: Plan['blueprint'];
  planHash: string;
  format: GraphFormat;
  view: GraphView;
  graph: string;
}

/** The blueprint's plan with `{}` bindings (`blueprint_bindings_invalid`, pointing at `job`, when it needs some). */
export const defaultPlan = (catalog: Catalog, id: string): Plan => {
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
};

/** The plan of a job that targets blueprint `id` (its bindings and runtime caps). */
export const jobPlan = async (project: Project, id: string, jobId: string): Promise<Plan> => {
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

/** Draws a plan's run machine: Mermaid (a region per step, or `plan`: steps, needs, routes) or Graphviz DOT. */
export const drawPlan = (plan: Plan, format: GraphFormat, view: GraphView): BlueprintGraph => {
  const program = createRunProgram(plan);
  const graph = format === 'dot' ? toDot(program) : toMermaid(program, view);
  return { blueprint: program.plan.blueprint, planHash: program.planHash, format, view, graph };
};
