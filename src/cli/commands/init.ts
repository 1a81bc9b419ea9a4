import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily init [--force] [--example <name>]`. */
export const registerInit = (program: Command): void => {
  program
    .command('init')
    .description('create .lily/ here (config, policy, an example job); existing files are kept')
    .option('--force', 'overwrite config.yaml, policy.yaml, jobs/hello.job.yaml and .gitignore')
    .option(
      '--example <name>',
      "create the project from a pack's example (hxo: the HXO pack's, see docs/hxo.md)",
    )
    .action(lazy(async () => (await import('../actions/init.js')).init));
};
