import { relative } from 'node:path';
import type { CliContext, Outcome } from '../context.js';

/**
 * `lily init [--force] [--example <name>]`: JSON `{dir, example?, created, overwritten, kept}`
 * (absolute paths; `example` is `{name, packageName, dir}`).
 */
export const init = async (
  ctx: CliContext,
  options: { force?: boolean; example?: string },
): Promise<Outcome> => {
  const result = await ctx.client.project.init({
    force: options.force === true,
    ...(options.example === undefined ? {} : { example: options.example }),
  });
  const { dir } = result.paths;
  const { example } = result;
  const data = {
    dir,
    ...(example ? { example } : {}),
    created: result.created,
    overwritten: result.overwritten,
    kept: result.kept,
  };
  return {
    data,
    human: ({ colors: c }) => {
      const rel = (f: string) => relative(dir, f);
      const lines = [
        ...result.created.map((f) => `${c.green('created')}      ${rel(f)}`),
        ...result.overwritten.map((f) => `${c.yellow('overwritten')}  ${rel(f)}`),
        ...result.kept.map((f) => `${c.dim('kept')}         ${rel(f)}`),
      ];
      const next = example
        ? `\nFrom the example ${example.name} of ${example.packageName}. Next: ${c.bold(ctx.lily('jobs validate'))}  then  ${c.bold(ctx.lily('up'))}`
        : `\nNext: ${c.bold(ctx.lily('jobs validate'))}  then  ${c.bold(ctx.lily('blueprints plan hello'))}`;
      const kept = result.kept.length > 0 ? c.dim('\n(existing files kept; --force overwrites them)') : '';
      return `Lily project in ${dir}\n${lines.join('\n')}${kept}${next}`;
    },
  };
};
