import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily blueprints list | show <id> | plan <job-id>`. */
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
  return blueprints;
};
