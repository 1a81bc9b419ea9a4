import { toLilyError } from '../contracts/errors.js';
import type { ErrorInfo } from '../contracts/events/shared-schemas.js';

/** Any error as the `{code, message, data}` events and logs carry. */
export const errorInfo = (e: unknown): ErrorInfo => {
  const err = toLilyError(e);
  return { code: err.code, message: err.message, data: err.data };
};
