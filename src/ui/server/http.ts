import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES, isErrorCode } from '../../contracts/error-codes.js';
import { LilyError, toLilyError } from '../../contracts/errors.js';
import type { ApiError } from '../model/wire.js';

/** Headers every response carries: no framing, no sniffing, no referrer, a strict CSP. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});

/** Largest JSON body a POST may carry. */
const MAX_BODY = 1024 * 1024;

export const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
};

export const sendError = (
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  data: Record<string, unknown> = {},
) => {
  const body: ApiError = { error: { code, message, data } };
  sendJson(res, status, body);
};

/** The HTTP status of a LilyError: unknown things 404, other bad input 400, conflicts 409, no engine 503. */
export const statusOf = (e: LilyError): number => {
  switch (e.code) {
    case 'run_not_found':
    case 'job_not_found':
    case 'approval_not_found':
    case 'artifact_not_found':
    case 'blueprint_not_found':
      return 404;
    case 'approval_answered':
      return 409;
    case 'bus_unavailable':
    case 'bus_timeout':
    case 'bus_no_responders':
    case 'nats_server_missing':
      return 503;
    default:
      return isErrorCode(e.code) && ERROR_CODES[e.code].kind === 'input' ? 400 : 500;
  }
};

/** Sends anything thrown as `{error}` with the status of its code. */
export const sendThrown = (res: ServerResponse, thrown: unknown) => {
  const e = toLilyError(thrown);
  sendError(res, statusOf(e), e.code, e.message, e.data);
};

/** The request body as a JSON object (`usage_invalid` for anything else, or above 1 MiB). */
export const readJsonBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new LilyError('usage_invalid', 'the request body is larger than 1 MiB', {});
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LilyError('usage_invalid', 'the request body is not JSON', {});
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new LilyError('usage_invalid', 'the request body must be a JSON object', {});
  }
  return body as Record<string, unknown>;
};
