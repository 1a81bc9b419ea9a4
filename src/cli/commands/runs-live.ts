import type { Command } from 'commander';
import { lazy } from '../action.js';
import { collect } from '../collect.js';

/** `lily runs rerun | cancel | resolve`: live commands of the runs group (they need an engine). */
export const registerRunsLive = (runs: Command): void => {
  runs
    .command('rerun')
    .description('run the job of a run again; a fork with --from-step / --gates-only')
    .argument('<runId>', 'run id')
    .option('--from-step <step>', 'reuse the outputs of the steps before this one; run it and what follows')
    .option('--gates-only', "re-run only the gates, against the parent's outputs")
    .option('--input <key=value>', 'run input field (JSON when it parses); repeatable', collect)
    .option('--input-file <file>', 'run input from a JSON or YAML file')
    .option('--follow', 'show live progress until the run ends; exit 1 if it fails')
    .option('--as <principal>', 'the policy principal to run as')
    .option('--idempotency-key <key>', 'repeating a key returns the run its first request started')
    .action(lazy(async () => (await import('../actions/runs-live.js')).rerunRun));
  runs
    .command('cancel')
    .description('cancel a run (queued: at once; started: the engine cancels it); needs a running engine')
    .argument('<runId>', 'run id')
    .option('--reason <text>', 'why (recorded)')
    .option('--by <name>', 'who cancels (default: the OS user)')
    .action(lazy(async () => (await import('../actions/runs-live.js')).cancelRun));
  runs
    .command('resolve')
    .description('answer for an indeterminate dispatch (its outcome is unknown): --succeeded or --failed')
    .argument('<runId>', 'run id')
    .argument(
      '<dispatchId>',
      'dispatch id (runId/stepId/attempt, as `runs show` and the progress lines print it)',
    )
    .option('--succeeded', 'the effect happened')
    .option('--output <json>', 'with --succeeded: the step output (JSON; default {})')
    .option('--failed', 'the effect did not happen (the step fails, without retry)')
    .option('--reason <text>', 'with --failed: why')
    .option('--by <name>', 'who answers (default: the OS user)')
    .action(lazy(async () => (await import('../actions/runs-live.js')).resolveStep));
};
