import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily init [--force]`. */
export const registerInit = (program: Command): void => {
  program
    .command('init')
    .description('create .lily/ here (config, policy, an example job); existing files are kept')
    .option('--force', 'overwrite config.yaml, policy.yaml, jobs/hello.job.yaml and .gitignore')
    .action(lazy(async () => (await import('../actions/init.js')).init));
};
