import { ERROR_CODES } from '../contracts/error-codes.js';
import type { LilyError } from '../contracts/errors.js';

/** Exit codes of `lily` (docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, input: 2 } as const;

/** 2 for errors of kind `input` (spec, bindings, usage), 1 for `failure` (the work or the environment). */
export const exitCodeFor = (error: LilyError): 1 | 2 => (ERROR_CODES[error.code].kind === 'input' ? 2 : 1);
