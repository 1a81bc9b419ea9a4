import type { Command } from 'commander';
import { lazy } from '../action.js';
import { collect } from '../collect.js';

/** `lily creds issue <role>`: NATS credentials for processes elsewhere. */
export const registerCreds = (program: Command): Command => {
  const creds = program
    .command('creds')
    .description('NATS credentials of the deployment (roles: docs/security.md)');
  creds
    .command('issue')
    .description('write a .creds file (user JWT + nkey seed, mode 0600) for a process elsewhere')
    .argument('<role>', 'engine | worker | operator | observer')
    .requiredOption('--out <file>', 'where to write it')
    .option('--name <name>', 'the user name shown by the server (default <role>@<host>)')
    .option(
      '--expires <duration>',
      'refused by the server after this: 90s, 30m, 12h, 30d, 2w (default never)',
    )
    .option(
      '--executor <name>',
      'worker: only this executor (repeatable; default all of the project)',
      collect,
    )
    .option('--force', 'replace an existing file')
    .action(lazy(async () => (await import('../actions/creds.js')).issueCreds));
  return creds;
};

/** `lily worker`: one worker in the foreground, with its own credential. */
export const registerWorker = (program: Command): Command =>
  program
    .command('worker')
    .description('run a worker in the foreground (--nats <url> --creds <file> --dir <dir>) until Ctrl-C')
    .option(
      '--creds <file>',
      'its credential (lily creds issue worker): a worker of its own in --dir, which need not be a project (docs/scale-out.md); default: the project deployment',
    )
    .option('--id <id>', 'worker id, shown by lily status (default <host>-<pid>)')
    .option('--concurrency <n>', 'dispatches run at once (default 16)')
    .action(lazy(async () => (await import('../actions/worker.js')).runWorker));
