import { LilyError } from './errors.js';

declare const brand: unique symbol;
/** A string that has passed its parser. Only the parsers below create one. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A run id: a ULID (26 Crockford base32 characters) that sorts by creation time. Made by `parseRunId`. */
export type RunId = Brand<string, 'RunId'>;
/** A job id: the `<id>` of `.lily/jobs/<id>.job.yaml`. Made by `parseJobId`. */
export type JobId = Brand<string, 'JobId'>;
/** A step id: letters, digits, `_` and `-` (it is an XState state key too). Made by `parseStepId`. */
export type StepId = Brand<string, 'StepId'>;
export type EventId = Brand<string, 'EventId'>;

/** ULID: 48-bit millisecond time + 80 bits of randomness, Crockford base32, sorts by creation time. */
const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/** Job ids name files (`<id>.job.yaml`): no slashes, no leading dot. Dots are encoded in subjects. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Step ids are XState state keys too, where `.` separates paths: letters, digits, `_` and `-`. */
const STEP_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const EVENT_ID = /^[\x21-\x7e]{1,200}$/;

const parser =
  <T>(kind: string, pattern: RegExp, rule: string) =>
  (value: unknown): T => {
    if (typeof value === 'string' && pattern.test(value)) return value as T;
    throw new LilyError('id_invalid', `invalid ${kind} ${JSON.stringify(value)}: ${rule}`, {
      kind,
      value: typeof value === 'string' ? value : String(value),
      rule,
    });
  };

/**
 * Parses a run id (a 26-character ULID).
 *
 * @throws LilyError `id_invalid` `{kind, value, rule}` for anything else.
 * @example
 * const runId = parseRunId(process.argv[2]);
 */
export const parseRunId = parser<RunId>('run id', RUN_ID, 'a 26-character ULID');
/**
 * Parses a job id (letters, digits, `.`, `_`, `-`; starts with a letter or digit; at most 128).
 *
 * @throws LilyError `id_invalid` `{kind, value, rule}` for anything else.
 * @example
 * const jobId = parseJobId('release.nightly');
 */
export const parseJobId = parser<JobId>(
  'job id',
  JOB_ID,
  'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 128 characters',
);
/**
 * Parses a step id (letters, digits, `_`, `-`; starts with a letter or `_`; at most 64; no dots).
 *
 * @throws LilyError `id_invalid` `{kind, value, rule}` for anything else.
 * @example
 * const stepId = parseStepId('build_1');
 */
export const parseStepId = parser<StepId>(
  'step id',
  STEP_ID,
  'letters, digits, "_" or "-", starting with a letter or "_", at most 64 characters',
);
export const parseEventId = parser<EventId>('event id', EVENT_ID, '1 to 200 printable ASCII characters');

export const isRunId = (v: unknown): v is RunId => typeof v === 'string' && RUN_ID.test(v);
export const isJobId = (v: unknown): v is JobId => typeof v === 'string' && JOB_ID.test(v);
export const isStepId = (v: unknown): v is StepId => typeof v === 'string' && STEP_ID.test(v);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The creation time (ms since epoch) encoded in a run id. */
export const runIdTime = (id: RunId): number => {
  let t = 0;
  for (const ch of id.slice(0, 10)) t = t * 32 + CROCKFORD.indexOf(ch);
  return t;
};

/** Port: where new ids come from. Adapters live outside the pure core. */
export interface IdGenerator {
  /** A new run id, strictly greater than any earlier one from this generator. */
  runId(): RunId;
  /** A new unique event id. */
  eventId(): EventId;
}
