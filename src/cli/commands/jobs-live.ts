import type { Command } from 'commander';
import { lazy } from '../action.js';
import { collect } from '../collect.js';

/** `lily jobs run | tail`: live commands of the jobs group (they talk to an engine over NATS). */
export const registerJobsLive = (jobs: Command): void => {
  jobs
    .command('run')
    .description(
      'run a job: on the running deployment (lily up / --nats), else on an ephemeral engine for this command',
    )
    .argument('<id>', 'job id')
    .option(
      '--input <key=value>',
      'run input field (value parsed as JSON when it is JSON); repeatable',
      collect,
    )
    .option('--input-file <file>', 'run input from a JSON or YAML file (--input pairs override it)')
    .option('--dry-run', 'a dry run (executors simulate side effects)')
    .option('--follow', 'show live progress until the run ends; exit 1 if it fails')
    .option('--as <principal>', 'the policy principal to run as (default: the policy default_principal)')
    .option(
      '--idempotency-key <key>',
      'repeating a key returns the run its first request started instead of starting another (default: one per invocation)',
    )
    .action(lazy(async () => (await import('../actions/jobs-run.js')).runJob));
  jobs
    .command('tail')
    .description("follow a job's events over NATS, one line per event (--json: JSON lines); Ctrl-C stops")
    .argument('<id>', 'job id')
    .option('--since <runId|time>', 'first print the logged events from this run (or ISO time) on')
    .action(lazy(async () => (await import('../actions/tail.js')).tailJob));
};
