import type { CliContext, Outcome } from '../context.js';

export interface GraphOptions {
  job?: string;
  format?: string;
  view?: string;
}

/**
 * `lily blueprints graph <id> [--job <id>] [--format mermaid|dot] [--view machine|plan]`: the
 * compiled run machine as Mermaid or Graphviz DOT. Without `--job` the blueprint is compiled
 * with `{}` bindings (`blueprint_bindings_invalid` when it needs some: pass `--job`).
 * JSON `{blueprint, planHash, format, view, graph}`.
 */
export const graphBlueprint = async (
  ctx: CliContext,
  id: string,
  options: GraphOptions,
): Promise<Outcome> => {
  const drawn = await ctx.client.blueprints.graph(id, {
    ...(options.job !== undefined ? { job: options.job } : {}),
    ...(options.format !== undefined ? { format: options.format } : {}),
    ...(options.view !== undefined ? { view: options.view } : {}),
  });
  return { data: drawn, human: () => drawn.graph.trimEnd() };
};
