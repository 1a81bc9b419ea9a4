import { LilyError } from '../../contracts/index.js';

/**
 * NATS subject rules, shared by both bus adapters so they agree on what is valid:
 * tokens separated by `.`, none empty, no whitespace or control characters. In a
 * subscription pattern `*` (one token) and `>` (one or more trailing tokens, last only) may
 * stand as whole tokens; a published subject holds no wildcard at all.
 */
export const MAX_SUBJECT_LENGTH = 4096;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this rejects
const FORBIDDEN = /[\s\u0000-\u001f\u007f]/;

/**
 * One regular expression test per subject or pattern, no split: every publish checks its
 * subject. A plain token is one or more characters, none of them `.`, a wildcard, whitespace or
 * a control character.
 */
const PLAIN = '[^.*>\\s\\u0000-\\u001f\\u007f]+';
const SUBJECT = new RegExp(`^${PLAIN}(?:\\.${PLAIN})*$`);
const PATTERN_TOKEN = `(?:\\*|${PLAIN})`;
const PATTERN = new RegExp(`^(?:${PATTERN_TOKEN}(?:\\.${PATTERN_TOKEN})*(?:\\.>)?|>)$`);

/** A subject a message can be published to: no wildcards. */
export const isValidSubject = (subject: string): boolean =>
  subject.length <= MAX_SUBJECT_LENGTH && SUBJECT.test(subject);

/** A subscription pattern: `*` and `>` only as whole tokens, `>` only last. */
export const isValidPattern = (pattern: string): boolean =>
  pattern.length <= MAX_SUBJECT_LENGTH && PATTERN.test(pattern);

/** A queue group name: non-empty, no whitespace, no wildcard characters. */
export const isValidQueueName = (queue: string): boolean =>
  queue.length > 0 && queue.length <= 256 && !FORBIDDEN.test(queue) && !/[*>]/.test(queue);

/** True when the literal `subject` matches the subscription `pattern`. */
export const subjectMatches = (pattern: string, subject: string): boolean => {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
};

export const assertSubject = (subject: string): void => {
  if (!isValidSubject(subject)) throw invalid('subject', subject);
};

export const assertPattern = (pattern: string): void => {
  if (!isValidPattern(pattern)) throw invalid('subscription pattern', pattern);
};

export const assertQueueName = (queue: string): void => {
  if (!isValidQueueName(queue)) throw invalid('queue group', queue);
};

const invalid = (kind: string, value: string) =>
  new LilyError('bus_subject_invalid', `invalid ${kind} ${JSON.stringify(value.slice(0, 200))}`, {
    kind,
    value: value.slice(0, 200),
  });
