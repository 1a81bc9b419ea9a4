import { type ErrorCode, isErrorCode } from './error-codes.js';

/** Machine-usable context of an error: which id, which step, which zod issues, ... */
export type ErrorData = Record<string, unknown>;

/**
 * The one error type that crosses a module boundary in Lily. `code` is stable (see
 * ERROR_CODES), `data` is machine-usable context, `cause` keeps the original error. Every
 * function of the public API fails with a LilyError; branch on `code` (or `hasErrorCode`),
 * never on the message. The constructor never throws.
 *
 * @example
 * throw new LilyError('job_not_found', `no job "${id}"`, { id, dir });
 */
export class LilyError extends Error {
  override readonly name = 'LilyError';
  readonly code: ErrorCode;
  readonly data: ErrorData;

  constructor(code: ErrorCode, message: string, data: ErrorData = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data;
  }

  /** A plain JSON shape: what `--json` prints and what events carry. */
  toJSON(): { code: ErrorCode; message: string; data: ErrorData } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

/**
 * True for a LilyError, also one from another copy of the package or one rebuilt from JSON
 * with a `name` of `LilyError` and a known `code`. Never throws.
 *
 * @example
 * try { compileBlueprint(catalog, bp, bindings); } catch (e) { if (isLilyError(e)) console.error(e.code, e.data); }
 */
export const isLilyError = (e: unknown): e is LilyError =>
  e instanceof LilyError ||
  (typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'LilyError' &&
    isErrorCode((e as { code?: unknown }).code));

/**
 * True for a LilyError with this code, narrowing `code`. Never throws.
 *
 * @example
 * if (hasErrorCode(e, 'blueprint_bindings_invalid')) console.error(e.data.issues);
 */
export const hasErrorCode = <C extends ErrorCode>(e: unknown, code: C): e is LilyError & { code: C } =>
  isLilyError(e) && e.code === code;

/**
 * Wraps anything thrown into a LilyError (with `fallback` as its code and the original as
 * `cause`), keeping LilyErrors as they are. Never throws.
 *
 * @example
 * const err = toLilyError(new Error('disk full'), 'eventstore_unavailable'); // err.code === 'eventstore_unavailable'
 */
export const toLilyError = (e: unknown, fallback: ErrorCode = 'internal_error'): LilyError => {
  if (isLilyError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new LilyError(fallback, message, {}, { cause: e });
};
