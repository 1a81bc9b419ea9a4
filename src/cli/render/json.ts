import type { LilyError } from '../../contracts/errors.js';

/** Stable, pretty JSON for `--json` output (one document, trailing newline). */
export const renderJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The `--json` shape of a failed command: `{"error": {code, message, data}}`. */
export const errorJson = (error: LilyError): { error: ReturnType<LilyError['toJSON']> } => ({
  error: error.toJSON(),
});
