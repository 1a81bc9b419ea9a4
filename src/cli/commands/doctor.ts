import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily doctor`: environment and project checks, each with what to do. */
export const registerDoctor = (program: Command): Command =>
  program
    .command('doctor')
    .description(
      'check node, nats-server, the project, LMDB, keys and running processes; exit 1 if any fails',
    )
    .action(lazy(async () => (await import('../actions/doctor.js')).doctor));
