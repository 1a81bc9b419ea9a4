import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily run new`: a run identity and manifest (seed kernel layer 0). */
export const registerRun = (program: Command): Command => {
  const run = program.command('run').description('run identities (kernel layer 0)');
  run
    .command('new')
    .description('create a run id and a manifest artifact, with an optional work order attached')
    .option('--work-order <file>', 'a file to attach to the run as its work order')
    .action(lazy(async () => (await import('../actions/run-new.js')).newRun));
  return run;
};
