import { LilyError } from '../../contracts/errors.js';
import type { Json } from '../../contracts/json.js';

const invalid = (name: string, message: string): LilyError =>
  new LilyError('usage_invalid', `${name}: ${message}`, { reason: 'invalidArgument', option: name });

/** An optional string field of a body (`usage_invalid` when present and not a string). */
export const optionalString = (body: Record<string, unknown>, name: string): string | undefined => {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(name, 'must be a string');
  return v;
};

/** A required non-empty string field of a body. */
export const requiredString = (body: Record<string, unknown>, name: string): string => {
  const v = optionalString(body, name);
  if (v === undefined || v.trim() === '') throw invalid(name, 'is required');
  return v;
};

export const optionalBoolean = (body: Record<string, unknown>, name: string): boolean | undefined => {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(name, 'must be true or false');
  return v;
};

/** An optional JSON object field (run input, a step output). */
export const optionalObject = (
  body: Record<string, unknown>,
  name: string,
): { [key: string]: Json } | undefined => {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(name, 'must be a JSON object');
  return v as { [key: string]: Json };
};

/** A query parameter as a time: epoch ms digits or an ISO date (`usage_invalid` otherwise). */
export const queryTime = (query: URLSearchParams, name: string): number | undefined => {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw invalid(name, `${raw} is not a time (epoch ms or ISO 8601)`);
  return ms;
};

/** A query parameter as a positive integer no larger than `max`. */
export const queryInt = (query: URLSearchParams, name: string, max: number): number | undefined => {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw invalid(name, `must be an integer from 1 to ${max}`);
  return n;
};

export const queryString = (query: URLSearchParams, name: string): string | undefined => {
  const raw = query.get(name);
  return raw === null || raw === '' ? undefined : raw;
};
