import { toLilyError } from '../contracts/errors.js';
import { exitCodeFor } from './exit.js';
import { errorJson, renderJson } from './render/json.js';
import { renderErrorPanel } from './render/panel.js';
import type { Ui } from './render/ui.js';

/**
 * Prints a failure and returns the exit code. With `json`, `{"error": {code, message, data}}`
 * goes to stdout; otherwise the error panel goes to stderr. Anything that is not a LilyError
 * becomes `internal_error`. Stacks (and causes) are printed only with `debug`.
 */
export const reportError = (ui: Ui, error: unknown, options: { json: boolean; debug: boolean }): 1 | 2 => {
  const lily = toLilyError(error);
  if (options.json) ui.out(renderJson(errorJson(lily)));
  else ui.err(renderErrorPanel(ui.errColors, lily));
  if (options.debug) {
    const original = lily.cause ?? lily;
    ui.err(original instanceof Error ? (original.stack ?? String(original)) : String(original));
    if (original !== lily && lily.stack) ui.err(lily.stack);
  }
  return exitCodeFor(lily);
};
