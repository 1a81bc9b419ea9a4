import { Command } from 'commander';
import { registerApprovals } from './commands/approvals.js';
import { registerArtifacts } from './commands/artifacts.js';
import { registerBlueprints } from './commands/blueprints.js';
import { registerCreds, registerWorker } from './commands/creds.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEvents } from './commands/events.js';
import { registerGc } from './commands/gc.js';
import { registerInit } from './commands/init.js';
import { registerJobs } from './commands/jobs.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerUi } from './commands/ui.js';

/**
 * The command groups, in help order. A new group is a `src/cli/commands/<group>.ts` exporting
 * `register<Group>(program)`, added here; its actions live in `src/cli/actions/<group>.ts` and
 * are imported lazily (see `lazy` in action.ts).
 */
const GROUPS: ((program: Command) => unknown)[] = [
  registerInit,
  registerDeploy,
  registerWorker,
  registerCreds,
  registerJobs,
  registerRuns,
  registerApprovals,
  registerEvents,
  registerBlueprints,
  registerArtifacts,
  registerUi,
  registerRun,
  registerGc,
  registerDoctor,
];

/**
 * The `lily` program: global options, every command group, commander errors thrown (not
 * printed) so `main` can turn them into `usage_invalid` with exit code 2.
 */
export const buildProgram = (version: string): Command => {
  const program = new Command('lily')
    .description('Lily: an event-sourced actor runtime for blueprint-driven jobs')
    .version(version, '-V, --version')
    .option(
      '--dir <path>',
      'project directory holding .lily/ (default: the nearest one at or above the current directory)',
    )
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--debug', 'print stack traces of errors')
    .option('--no-color', 'no colors (NO_COLOR is honoured too)')
    .option('--nats <url>', 'live commands: use this NATS (else LILY_NATS_URL, the config, the deployment)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  for (const register of GROUPS) register(program);
  return program;
};
