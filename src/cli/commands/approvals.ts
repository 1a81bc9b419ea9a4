import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily approvals list | grant <id> | deny <id>`. */
export const registerApprovals = (program: Command): Command => {
  const approvals = program.command('approvals').description('human-in-the-loop approvals of runs');
  approvals
    .command('list')
    .description('pending approvals (read from the log; no engine needed)')
    .option('--all', 'also the answered ones')
    .action(lazy(async () => (await import('../actions/approvals.js')).listApprovalsAction));
  approvals
    .command('grant')
    .description('grant an approval (delivered at once when an engine runs, else when it starts)')
    .argument('<id>', 'approval id')
    .option('--comment <text>', 'a comment recorded with the grant')
    .option('--by <name>', 'who grants (default: the OS user)')
    .action(lazy(async () => (await import('../actions/approvals.js')).grantApproval));
  approvals
    .command('deny')
    .description('deny an approval: the step, and so the run, fails')
    .argument('<id>', 'approval id')
    .requiredOption('--reason <text>', 'why (recorded)')
    .option('--by <name>', 'who denies (default: the OS user)')
    .action(lazy(async () => (await import('../actions/approvals.js')).denyApproval));
  return approvals;
};
