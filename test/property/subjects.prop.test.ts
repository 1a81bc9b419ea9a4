import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPattern, isValidSubject, subjectMatches } from '../../src/actors/bus/subject-match.js';
import {
  buildSubject,
  eventSubject,
  eventTypePattern,
  execSubject,
  jobEventsPattern,
  type LilySubject,
  parseSubject,
  runEventsPattern,
  SYS_TOPICS,
} from '../../src/actors/subjects.js';
import { parseJobId, parseRunId } from '../../src/contracts/index.js';

const ns = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);
const jobId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/).map(parseJobId);
const runId = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/).map(parseRunId);
/** Any text, including dots, wildcards, whitespace, `_`, unicode and lone surrogates. */
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', '.', '..', '*', '>', 'a.*.>', '_', '_0041', 'run.completed', ' a b '),
);

const lilySubject: fc.Arbitrary<LilySubject> = fc.oneof(
  fc.record({
    kind: fc.constant('event' as const),
    ns,
    jobId: fc.option(jobId, { nil: null }),
    runId: fc.option(runId, { nil: null }),
    type: anyText,
  }),
  fc.record({ kind: fc.constant('exec' as const), ns, executor: anyText }),
  fc.record({ kind: fc.constantFrom('policy' as const, 'sched' as const), ns }),
  fc.record({ kind: fc.constant('inbox' as const), ns, runId }),
  fc.record({ kind: fc.constant('sys' as const), ns, topic: fc.constantFrom(...SYS_TOPICS) }),
  fc.record({ kind: fc.constant('sys' as const), ns, topic: fc.constantFrom(...SYS_TOPICS), actor: anyText }),
);

describe('subject catalog properties', () => {
  it('every built subject is a valid literal NATS subject and parses back to what built it', () => {
    fc.assert(
      fc.property(lilySubject, (s) => {
        const subject = buildSubject(s);
        expect(isValidSubject(subject)).toBe(true);
        expect(parseSubject(subject)).toEqual(s);
      }),
      { numRuns: 2_000 },
    );
  });

  it('an event subject is matched by its job tail, its run tail and its type pattern, and not by another job', () => {
    fc.assert(
      fc.property(ns, jobId, jobId, runId, anyText, (n, job, other, run, type) => {
        const subject = eventSubject(n, job, run, type);
        for (const p of [
          jobEventsPattern(n, job),
          runEventsPattern(n, job, run),
          eventTypePattern(n, type),
        ]) {
          expect(isValidPattern(p)).toBe(true);
          expect(subjectMatches(p, subject)).toBe(true);
        }
        expect(subjectMatches(jobEventsPattern(n, other), subject)).toBe(job === other);
      }),
    );
  });

  it('distinct executors get distinct subjects', () => {
    fc.assert(
      fc.property(ns, anyText, anyText, (n, x, y) => {
        expect(execSubject(n, x) === execSubject(n, y)).toBe(x === y);
      }),
    );
  });
});
