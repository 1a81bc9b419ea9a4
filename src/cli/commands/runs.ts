import type { Command } from 'commander';
import { lazy } from '../action.js';
import { registerRunsLive } from './runs-live.js';

/**
 * `lily runs list | show | events | receipt | replay` read the log directly (no NATS, no
 * engine); `rerun | cancel | resolve` talk to the engine.
 */
export const registerRuns = (program: Command): Command => {
  const runs = program
    .command('runs')
    .description('runs in the event log (read directly), rerun, cancel, resolve');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--job <id>', 'only runs of this job')
    .option('--status <status>', 'only runs in this status: running, succeeded, failed, cancelled')
    .option('--limit <n>', 'at most n runs (default 20)')
    .action(lazy(async () => (await import('../actions/runs.js')).listRuns));
  runs
    .command('show')
    .description('a run: steps, attempts, gates, policy decisions, approvals, artifacts')
    .argument('<runId>', 'run id')
    .action(lazy(async () => (await import('../actions/runs.js')).showRun));
  runs
    .command('events')
    .description("a run's events, one per line (--json: JSON lines)")
    .argument('<runId>', 'run id')
    .action(lazy(async () => (await import('../actions/runs.js')).runEvents));
  runs
    .command('receipt')
    .description("a run's receipt, rebuilt from the log")
    .argument('<runId>', 'run id')
    .option('--rebuild', 'rewrite run_receipt.json, summary.md and events.jsonl; report whether they changed')
    .action(lazy(async () => (await import('../actions/runs-receipt.js')).runReceipt));
  runs
    .command('replay')
    .description("fold a run's log through the program of its pinned plan")
    .argument('<runId>', 'run id')
    .option('--verify', 'check every recorded command and the machine; exit 1 on divergence')
    .action(lazy(async () => (await import('../actions/runs-replay.js')).replayRun));
  registerRunsLive(runs);
  return runs;
};
