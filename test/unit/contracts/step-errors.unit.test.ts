import { describe, expect, it } from 'vitest';
import { isLilyError } from '../../../src/contracts/errors.js';
import {
  isRetryableStepError,
  isStepError,
  isTerminalStepError,
  RetryableStepError,
  StepError,
  stepFailureOf,
  TerminalStepError,
} from '../../../src/contracts/executor.js';

const CODE = 'blueprint_execution_failed';

describe('step errors: what a failed attempt tells the run', () => {
  it('a TerminalStepError is never retried and carries its code, data and cause', () => {
    const cause = new Error('root');
    const e = new TerminalStepError(CODE, 'bad input', { field: 'table' }, { cause });
    expect(stepFailureOf(e)).toEqual({ retryable: false });
    expect([isStepError(e), isTerminalStepError(e), isRetryableStepError(e), isLilyError(e)]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    expect(e.toJSON()).toEqual({ code: CODE, message: 'bad input', data: { field: 'table' } });
    expect(e.cause).toBe(cause);
  });

  it('a RetryableStepError is retried with the backoff, or after retryAfterMs (rounded up) when given', () => {
    expect(stepFailureOf(new RetryableStepError(CODE, 'busy'))).toEqual({ retryable: true });
    const later = new RetryableStepError(CODE, 'rate limited', { status: 429 }, { retryAfterMs: 1_500.2 });
    expect(stepFailureOf(later)).toEqual({ retryable: true, retryAfterMs: 1_501 });
    expect(isRetryableStepError(later) && !isTerminalStepError(later)).toBe(true);
  });

  it('a retryAfterMs that is negative or not finite is refused where it is made', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new RetryableStepError(CODE, 'x', {}, { retryAfterMs: bad })).toThrow(RangeError);
    }
  });

  it('a plain StepError keeps working: its flag decides, and a terminal one drops retryAfterMs', () => {
    expect(stepFailureOf(new StepError(CODE, 'x', {}, { retryable: true }))).toEqual({ retryable: true });
    expect(stepFailureOf(new StepError(CODE, 'x', {}, { retryable: true, retryAfterMs: 20 }))).toEqual({
      retryable: true,
      retryAfterMs: 20,
    });
    expect(stepFailureOf(new StepError(CODE, 'x', {}, { retryable: false, retryAfterMs: 20 }))).toEqual({
      retryable: false,
    });
  });

  it('anything else thrown is retryable with the backoff', () => {
    expect(stepFailureOf(new Error('ECONNRESET'))).toEqual({ retryable: true });
    expect(stepFailureOf('a string')).toEqual({ retryable: true });
  });
});
