import { CommanderError } from 'commander';
import { LILY_VERSION } from '../client/version.js';
import { argvDir, argvWantsDebug, argvWantsJson } from './context.js';
import { buildProgram } from './program.js';

/**
 * The `lily` entry point (bin/lily.js imports dist/cli/main.js). Kept light: commander and the
 * command registrations only; every implementation is imported when its command runs.
 */
const HELP_SHOWN = new Set(['commander.helpDisplayed', 'commander.version']);

const usageError = async (error: CommanderError, argv: readonly string[]): Promise<number> => {
  const [{ LilyError }, { reportError }, { processUi }] = await Promise.all([
    import('../contracts/errors.js'),
    import('./report-error.js'),
    import('./render/ui.js'),
  ]);
  const message = error.message.replace(/^error: /, '');
  const dirArg = argvDir(argv);
  const suggestion =
    error.code === 'commander.unknownCommand'
      ? await (await import('./job-suggestion.js')).jobRunSuggestion(message, dirArg)
      : undefined;
  const lily = new LilyError(
    'usage_invalid',
    suggestion ? `${message.split('\n')[0]}: to run the job, \`${suggestion}\`` : message,
    suggestion
      ? { reason: 'unknownCommand', hint: suggestion }
      : { reason: error.code.replace(/^commander\./, '') },
  );
  const ui = processUi({ color: !argv.includes('--no-color') });
  const json = argvWantsJson(argv);
  // `lily jobs` without a subcommand has already printed the help: no panel on top of it.
  if (error.code === 'commander.help' && !json) return 2;
  return reportError(ui, lily, { json, debug: argvWantsDebug(argv), dirArg });
};

const main = async (argv: string[]): Promise<void> => {
  const program = buildProgram(LILY_VERSION);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = HELP_SHOWN.has(e.code) ? 0 : await usageError(e, argv.slice(2));
      return;
    }
    const [{ reportError }, { processUi }] = await Promise.all([
      import('./report-error.js'),
      import('./render/ui.js'),
    ]);
    process.exitCode = reportError(processUi({ color: true }), e, {
      json: argvWantsJson(argv),
      debug: argvWantsDebug(argv),
    });
  }
};

await main(process.argv);
