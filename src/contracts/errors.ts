import { type ErrorCode, isErrorCode } from './error-codes.js';

export type ErrorData = Record<string, unknown>;

/**
 * The one error type that crosses a module boundary in Lily. `code` is stable (see
 * ERROR_CODES), `data` is machine-usable context, `cause` keeps the original error.
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

export const isLilyError = (e: unknown): e is LilyError =>
  e instanceof LilyError ||
  (typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'LilyError' &&
    isErrorCode((e as { code?: unknown }).code));

export const hasErrorCode = <C extends ErrorCode>(e: unknown, code: C): e is LilyError & { code: C } =>
  isLilyError(e) && e.code === code;

/** Wraps anything thrown into a LilyError, keeping LilyErrors as they are. */
export const toLilyError = (e: unknown, fallback: ErrorCode = 'internal_error'): LilyError => {
  if (isLilyError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new LilyError(fallback, message, {}, { cause: e });
};
