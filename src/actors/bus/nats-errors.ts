import { errors } from '@nats-io/transport-node';
import { type ErrorCode, LilyError } from '../../contracts/index.js';

/** `nats://user:secret@host:4222` -> `nats://host:4222`: never log or report credentials. */
export const redactUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//');

const causes = (e: unknown): unknown[] => {
  const chain: unknown[] = [];
  let cur: unknown = e;
  while (cur !== undefined && cur !== null && chain.length < 5) {
    chain.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return chain;
};

const codeOf = (e: unknown): ErrorCode => {
  const chain = causes(e);
  const some = (cls: abstract new (...args: never[]) => Error) => chain.some((c) => c instanceof cls);
  if (some(errors.NoRespondersError)) return 'bus_no_responders';
  if (chain.some((c) => c instanceof errors.RequestError && c.isNoResponders())) return 'bus_no_responders';
  if (some(errors.TimeoutError)) return 'bus_timeout';
  if (some(errors.ClosedConnectionError) || some(errors.DrainingConnectionError)) return 'bus_closed';
  if (some(errors.InvalidSubjectError)) return 'bus_subject_invalid';
  if (some(errors.PermissionViolationError)) return 'bus_permission_denied';
  if (chain.some((c) => c instanceof errors.InvalidArgumentError && /max_payload/.test(c.message))) {
    return 'bus_payload_too_large';
  }
  return 'bus_unavailable';
};

/**
 * Maps an error from the NATS client onto Lily's stable codes, keeping it as `cause`.
 * `context` goes into `data` (subject, server url: already redacted by the caller).
 */
export const fromNatsError = (e: unknown, what: string, context: Record<string, unknown>): LilyError => {
  const code = codeOf(e);
  const message = e instanceof Error ? e.message : String(e);
  return new LilyError(code, `${what}: ${message}`, { ...context, natsError: message }, { cause: e });
};
