import type { Command } from 'commander';
import { lazy } from '../action.js';
import { registerJobsLive } from './jobs-live.js';

/** `lily jobs list | show <id> | validate [id] | upgrade <id> | run <id> | tail <id>`. */
export const registerJobs = (program: Command): Command => {
  const jobs = program.command('jobs').description('job specs in .lily/jobs/');
  jobs
    .command('list')
    .description('list jobs with their target and trigger')
    .action(lazy(async () => (await import('../actions/jobs.js')).listJobs));
  jobs
    .command('show')
    .description('show one job spec, with defaults filled in')
    .argument('<id>', 'job id (the file .lily/jobs/<id>.job.yaml)')
    .action(lazy(async () => (await import('../actions/jobs.js')).showJob));
  jobs
    .command('validate')
    .description(
      'validate specs, targets and bindings, and compile (all jobs without an id); exit 2 if any is invalid',
    )
    .argument('[id]', 'job id')
    .action(lazy(async () => (await import('../actions/jobs.js')).validateJobs));
  jobs
    .command('upgrade')
    .description(
      'rewrite a job spec from a deprecated job kind or an older blueprint version to the current one: shows the diff; writes with --yes',
    )
    .argument('<id>', 'job id')
    .option('--yes', 'write the upgraded spec (without it: print the diff only)')
    .action(lazy(async () => (await import('../actions/jobs-upgrade.js')).upgradeJob));
  registerJobsLive(jobs);
  return jobs;
};
