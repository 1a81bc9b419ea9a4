import { LilyError, toLilyError } from '../contracts/errors.js';
import { exitCodeFor } from './exit.js';
import { carryDir, lilyCommand } from './hints.js';
import { errorJson, renderJson } from './render/json.js';
import { renderErrorPanel } from './render/panel.js';
import type { Ui } from './render/ui.js';

/** A hint with the user's `--dir`: a bare `lily …` command, or text quoting such commands. */
const hintWithDir = (hint: string, dirArg: string): string =>
  hint.startsWith('lily ') && !hint.includes('--dir')
    ? lilyCommand(hint.slice(5), dirArg)
    : carryDir(hint, dirArg);

/** The error with the user's `--dir` carried into the `lily …` commands of its message and hint. */
const withDir = (error: LilyError, dirArg: string | undefined): LilyError => {
  if (dirArg === undefined) return error;
  const { hint } = error.data;
  const data = typeof hint === 'string' ? { ...error.data, hint: hintWithDir(hint, dirArg) } : error.data;
  const out = new LilyError(error.code, carryDir(error.message, dirArg), data, { cause: error.cause });
  if (error.stack) out.stack = error.stack;
  return out;
};

/**
 * Prints a failure and returns the exit code. With `json`, `{"error": {code, message, data}}`
 * goes to stdout; otherwise the error panel goes to stderr. Anything that is not a LilyError
 * becomes `internal_error`. Stacks (and causes) are printed only with `debug`. Commands named
 * in the message and hint carry the `--dir` the user gave.
 */
export const reportError = (
  ui: Ui,
  error: unknown,
  options: { json: boolean; debug: boolean; dirArg?: string | undefined },
): 1 | 2 => {
  const original = toLilyError(error);
  const lily = withDir(original, options.dirArg);
  if (options.json) ui.out(renderJson(errorJson(lily)));
  else ui.err(renderErrorPanel(ui.errColors, lily));
  if (options.debug) {
    const cause = original.cause ?? original;
    ui.err(cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause));
    if (cause !== original && original.stack) ui.err(original.stack);
  }
  return exitCodeFor(lily);
};
