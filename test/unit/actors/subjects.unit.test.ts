import { describe, expect, it } from 'vitest';
import { isValidPattern, isValidSubject, subjectMatches } from '../../../src/actors/bus/subject-match.js';
import {
  allEventsPattern,
  eventSubject,
  eventTypePattern,
  execQueue,
  execSubject,
  inboxSubject,
  jobEventsPattern,
  parseSubject,
  policySubject,
  schedSubject,
  sysPattern,
  sysSubject,
  tryParseSubject,
} from '../../../src/actors/subjects.js';
import { hasErrorCode, parseJobId, parseRunId } from '../../../src/contracts/index.js';

const job = parseJobId('nightly.build');
const run = parseRunId('01HZX3K9V1M2N3P4Q5R6S7T8V9');

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return hasErrorCode(e, 'config_invalid')
      ? 'config_invalid'
      : hasErrorCode(e, 'bus_subject_invalid')
        ? 'bus_subject_invalid'
        : String(e);
  }
  return undefined;
};

describe('subject catalog', () => {
  it('builds the subjects of design.md §4', () => {
    expect(eventSubject('default', job, run, 'run.started')).toBe(
      'lily.default.evt.nightly_002Ebuild.01HZX3K9V1M2N3P4Q5R6S7T8V9.run.started',
    );
    expect(eventSubject('default', job, null, 'schedule.ticked')).toBe(
      'lily.default.evt.nightly_002Ebuild.-.schedule.ticked',
    );
    expect(eventSubject('default', null, null, 'system.started')).toBe('lily.default.evt.-.-.system.started');
    expect(jobEventsPattern('default', job)).toBe('lily.default.evt.nightly_002Ebuild.>');
    expect(allEventsPattern('ns1')).toBe('lily.ns1.evt.>');
    expect(eventTypePattern('ns1', 'step.failed')).toBe('lily.ns1.evt.*.*.step.failed');
    expect(execSubject('default', 'command')).toBe('lily.default.cmd.exec.command');
    expect(execSubject('default', 'my.exec')).toBe('lily.default.cmd.exec.my_002Eexec');
    expect(execQueue('my.exec')).toBe('lily-exec-my_002Eexec');
    expect(policySubject('default')).toBe('lily.default.cmd.policy');
    expect(schedSubject('default')).toBe('lily.default.cmd.sched');
    expect(inboxSubject('default', run)).toBe('lily.default.in.01HZX3K9V1M2N3P4Q5R6S7T8V9');
    expect(sysSubject('default', 'ping')).toBe('lily.default.sys.ping');
    expect(sysSubject('default', 'status', 'worker 1')).toBe('lily.default.sys.status.worker_00201');
    expect(sysPattern('default')).toBe('lily.default.sys.>');
  });

  it('parses them back', () => {
    expect(
      parseSubject('lily.default.evt.nightly_002Ebuild.01HZX3K9V1M2N3P4Q5R6S7T8V9.step.succeeded'),
    ).toEqual({
      kind: 'event',
      ns: 'default',
      jobId: job,
      runId: run,
      type: 'step.succeeded',
    });
    expect(parseSubject('lily.x.cmd.exec.command')).toEqual({ kind: 'exec', ns: 'x', executor: 'command' });
    expect(parseSubject('lily.x.sys.health')).toEqual({ kind: 'sys', ns: 'x', topic: 'health' });
  });

  it('refuses invalid namespaces and subjects outside the catalog', () => {
    expect(code(() => execSubject('bad.ns', 'x'))).toBe('config_invalid');
    expect(code(() => execSubject('', 'x'))).toBe('config_invalid');
    expect(code(() => execSubject('a*', 'x'))).toBe('config_invalid');
    for (const s of [
      'nats.default.cmd.policy',
      'lily.default.cmd.policy.extra',
      'lily.default.evt.job.run',
      'lily.default.evt.job.NOTAULID.run.started',
      'lily.default.in.01HZX3K9V1M2N3P4Q5R6S7T8V9.x',
      'lily.default.sys.reboot',
      'lily.default.cmd.exec.bad_zz',
      'lily.default.cmd.exec.*',
    ]) {
      expect(
        code(() => parseSubject(s)),
        s,
      ).toBe('bus_subject_invalid');
      expect(tryParseSubject(s)).toBeUndefined();
    }
  });
});

describe('subject matching', () => {
  it('follows NATS wildcard rules', () => {
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*.c', 'a.b.b.c')).toBe(false);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.>', 'a.b')).toBe(true);
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('>', 'a')).toBe(true);
    expect(subjectMatches('*', 'a.b')).toBe(false);
    expect(subjectMatches('a.b', 'a.b.c')).toBe(false);
    expect(isValidPattern('a.>.b')).toBe(false);
    expect(isValidPattern('a.*x')).toBe(false);
    expect(isValidSubject('a.*')).toBe(false);
    expect(isValidSubject('a.')).toBe(false);
    expect(isValidSubject('a\tb')).toBe(false);
  });
});
