import type { z } from 'zod';
import { isLilyError, LilyError, toLilyError } from '../../contracts/index.js';
import type { Logger } from '../logger.js';
import type {
  BusMessage,
  MessageHandler,
  RejectedMessage,
  TypedHandler,
  TypedSubscribeOptions,
} from './bus.js';
import { decodeJson, previewPayload } from './codec.js';

const MAX_ISSUES = 20;

/**
 * Runs a subscription's handler for each message so that nothing it does escapes: a throw
 * or a rejection is logged at error level. Keeps the promises of running async handlers so
 * `drain` can wait for them.
 */
export class HandlerRunner {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly handler: MessageHandler,
    private readonly logger: Logger,
  ) {}

  run(msg: BusMessage): void {
    try {
      const result = this.handler(msg);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        const tracked: Promise<void> = (result as Promise<void>).then(
          () => {
            this.running.delete(tracked);
          },
          (e: unknown) => {
            this.running.delete(tracked);
            this.failed(e, msg);
          },
        );
        this.running.add(tracked);
      }
    } catch (e) {
      this.failed(e, msg);
    }
  }

  /** Resolves when no handler call is running (including ones started meanwhile). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private failed(e: unknown, msg: BusMessage): void {
    const err = toLilyError(e);
    this.logger.error(
      { event: 'bus.handler_failed', subject: msg.subject, code: err.code, error: err.message },
      `bus handler failed on ${msg.subject}: ${err.message}`,
    );
  }
}

export const zodIssues = (error: z.ZodError): string[] =>
  error.issues.slice(0, MAX_ISSUES).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);

/**
 * Wraps a typed handler: decode, validate, and either hand over the parsed data or log the
 * message as rejected (warn, `event: 'message.rejected'`), call `onRejected`, and drop it.
 */
export const typedHandler =
  <S extends z.ZodType>(
    schema: S,
    handler: TypedHandler<z.output<S>>,
    opts: TypedSubscribeOptions,
    logger: Logger,
  ): MessageHandler =>
  (msg) => {
    let value: unknown;
    try {
      value = msg.json(); // cached on the message, so the handler's own msg.json() is free
    } catch (e) {
      const error = isLilyError(e) ? String(e.data.error ?? e.message) : String(e);
      return reject(msg, 'malformed_json', [error], opts, logger);
    }
    let parsed: z.ZodSafeParseResult<z.output<S>>;
    try {
      parsed = schema.safeParse(value);
    } catch (e) {
      // A payload nested deeper than the stack (zod recurses) is invalid, not a handler failure.
      return reject(msg, 'schema_invalid', [`(root): ${toLilyError(e).message}`], opts, logger);
    }
    if (!parsed.success) return reject(msg, 'schema_invalid', zodIssues(parsed.error), opts, logger);
    return handler(parsed.data, msg);
  };

const reject = (
  msg: BusMessage,
  reason: RejectedMessage['reason'],
  issues: string[],
  opts: TypedSubscribeOptions,
  logger: Logger,
): void => {
  const rejected: RejectedMessage = { subject: msg.subject, reason, issues, bytes: msg.data.length };
  logger.warn(
    { event: 'message.rejected', ...rejected, preview: previewPayload(msg.data) },
    `bus message rejected on ${msg.subject}: ${reason}`,
  );
  if (opts.onRejected === undefined) return;
  try {
    opts.onRejected(rejected, msg);
  } catch (e) {
    logger.error(
      { event: 'bus.on_rejected_failed', subject: msg.subject, error: toLilyError(e).message },
      'onRejected hook failed',
    );
  }
};

/** Decodes and validates a reply; throws `message_invalid` when it does not match. */
export const parseReply = <S extends z.ZodType>(subject: string, msg: BusMessage, schema: S): z.output<S> => {
  const decoded = decodeJson(msg.data);
  if (!decoded.ok) {
    throw new LilyError('message_invalid', `reply to ${subject} is not JSON: ${decoded.error}`, {
      subject,
      reason: 'malformed_json',
      issues: [decoded.error],
    });
  }
  let parsed: z.ZodSafeParseResult<z.output<S>>;
  try {
    parsed = schema.safeParse(decoded.value);
  } catch (e) {
    throw new LilyError('message_invalid', `reply to ${subject} could not be validated`, {
      subject,
      reason: 'schema_invalid',
      issues: [toLilyError(e).message],
    });
  }
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error);
  throw new LilyError('message_invalid', `reply to ${subject} does not match its schema: ${issues[0]}`, {
    subject,
    reason: 'schema_invalid',
    issues,
  });
};
