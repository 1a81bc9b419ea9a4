import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily ui`: the web console. */
export const registerUi = (program: Command): void => {
  program
    .command('ui')
    .description('the web console: runs, timelines, approvals, jobs, the deployment (until Ctrl-C)')
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1; anything else exposes the console)')
    .option('--open', 'open the console in the default browser')
    .action(lazy(async () => (await import('../actions/ui.js')).ui));
};
