import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily up | status | down`: the local multi-process deployment. */
export const registerDeploy = (program: Command): void => {
  program
    .command('up')
    .description('start a local deployment: managed nats-server, one engine, n workers (background daemons)')
    .option('--workers <n>', 'worker processes (default: config `workers`; 0: the engine runs executors)')
    .option('--timeout-ms <ms>', 'how long to wait for every process to answer sys.ping (default 30000)')
    .option(
      '--listen <host[:port]>',
      'make the managed nats-server reachable from other machines (port 4222 by default; credentials required); workers share state on NATS',
    )
    .option(
      '--no-engine-executors',
      'with --workers 0: the engine runs no step; workers connect from elsewhere',
    )
    .action(lazy(async () => (await import('../actions/deploy-up.js')).up));
  program
    .command('status')
    .description(
      'the deployment: each process with health (sys.ping), pid, uptime, runs in flight; exit 1 unless healthy',
    )
    .action(lazy(async () => (await import('../actions/deploy-status.js')).status));
  program
    .command('down')
    .description('stop the deployment: SIGTERM workers, engine, nats-server (SIGKILL after the grace period)')
    .option('--grace-ms <ms>', 'time between SIGTERM and SIGKILL (default 10000)')
    .action(lazy(async () => (await import('../actions/deploy-down.js')).down));
};
