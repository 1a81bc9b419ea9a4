import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily blueprints list | show <id> | plan <job-id> | graph <id>`. */
export const registerBlueprints = (program: Command): Command => {
  const blueprints = program.command('blueprints').description('registered blueprints and compiled plans');
  blueprints
    .command('list')
    .description('list blueprints (built-ins and packs of the project)')
    .action(lazy(async () => (await import('../actions/blueprints.js')).listBlueprints));
  blueprints
    .command('show')
    .description('show a blueprint and its bindings, input and output schemas')
    .argument('<id>', 'blueprint id, optionally id@version')
    .action(lazy(async () => (await import('../actions/blueprints.js')).showBlueprint));
  blueprints
    .command('plan')
    .description("compile a job's blueprint with its bindings: the plan and its hash")
    .argument('<job-id>', 'job id')
    .action(lazy(async () => (await import('../actions/blueprints.js')).planJob));
  blueprints
    .command('graph')
    .description("a blueprint's run machine as Mermaid or Graphviz DOT")
    .argument('<id>', 'blueprint id, optionally id@version')
    .option('--job <id>', "compile with this job's bindings (default: {} bindings)")
    .option('--format <format>', 'mermaid (default) or dot')
    .option(
      '--view <view>',
      'mermaid only: machine (default: a region per step) or plan (steps, needs, routes)',
    )
    .action(lazy(async () => (await import('../actions/blueprints-graph.js')).graphBlueprint));
  return blueprints;
};
