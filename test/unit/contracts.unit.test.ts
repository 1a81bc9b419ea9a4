import { describe, expect, it } from 'vitest';
import {
  decodeSubjectToken,
  encodeSubjectToken,
  hasErrorCode,
  isLilyError,
  LilyError,
  parseJobId,
  parseRunId,
  parseStepId,
  parseStream,
  runIdTime,
  runStream,
  SimulatedClock,
  toLilyError,
  validateEventData,
} from '../../src/contracts/index.js';
import { createUlidGenerator, pooledRandom } from '../../src/eventstore/system-ports.js';

describe('ids', () => {
  it('makes branded ids only from valid strings, with id_invalid otherwise', () => {
    expect(parseJobId('deploy.pack-1')).toBe('deploy.pack-1');
    for (const bad of ['', '../x', 'a/b', '.hidden', 'a b', 'x'.repeat(129)]) {
      expect(() => parseJobId(bad)).toThrowError(expect.objectContaining({ code: 'id_invalid' }));
    }
    expect(() => parseStepId('has.dot')).toThrowError(LilyError);
    expect(() => parseRunId('not-a-ulid')).toThrowError(LilyError);
  });

  it('run ids sort by creation time and carry it', () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const ids = createUlidGenerator(clock);
    const a = ids.runId();
    const b = ids.runId();
    clock.advance(5);
    const c = ids.runId();
    expect([c, b, a].sort()).toEqual([a, b, c]);
    expect(runIdTime(a)).toBe(1_700_000_000_000);
    expect(runIdTime(c)).toBe(1_700_000_000_005);
    expect(parseStream(runStream(a))).toEqual({ kind: 'run', id: a });
  });

  it('draws the random part from a pool that refills: every character in use, no id twice', () => {
    const random = pooledRandom(64);
    const counts = new Array<number>(32).fill(0);
    for (let i = 0; i < 32 * 400; i++) {
      const r = random();
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
      const at = Math.floor(r * 32);
      counts[at] = (counts[at] ?? 0) + 1;
    }
    // 400 expected per character; a character drawn < 250 or > 550 times is a broken source.
    for (const c of counts) expect(c).toBeGreaterThan(250);
    for (const c of counts) expect(c).toBeLessThan(550);
    // Ids made in different milliseconds (a fresh random part each) never repeat.
    const clock = new SimulatedClock(1_700_000_000_000);
    const ids = createUlidGenerator(clock);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      clock.advance(1);
      seen.add(ids.eventId());
    }
    expect(seen.size).toBe(2_000);
  });
});

describe('LilyError', () => {
  it('carries code, data and cause, and serialises without the stack', () => {
    const cause = new Error('disk on fire');
    const e = new LilyError('eventstore_unavailable', 'cannot write', { path: '/x' }, { cause });
    expect(isLilyError(e)).toBe(true);
    expect(hasErrorCode(e, 'eventstore_unavailable')).toBe(true);
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      code: 'eventstore_unavailable',
      message: 'cannot write',
      data: { path: '/x' },
    });
    expect(toLilyError(cause).code).toBe('internal_error');
    expect(toLilyError(e)).toBe(e);
  });
});

describe('subject tokens', () => {
  it('encodes the characters NATS reserves', () => {
    expect(encodeSubjectToken('deploy.pack')).toBe('deploy_002Epack');
    expect(encodeSubjectToken('')).toBe('_');
    expect(decodeSubjectToken('a_002Ab')).toBe('a*b');
    expect(() => decodeSubjectToken('a_zz')).toThrowError(LilyError);
    expect(() => decodeSubjectToken('a.b')).toThrowError(LilyError);
  });
});

describe('event catalog', () => {
  it('refuses unknown types and invalid data', () => {
    expect(() => validateEventData('step.exploded', {})).toThrowError(
      expect.objectContaining({ code: 'event_type_unknown' }),
    );
    expect(() => validateEventData('timer.fired', { timerId: 1 })).toThrowError(
      expect.objectContaining({ code: 'event_data_invalid' }),
    );
    expect(validateEventData('timer.fired', { timerId: 't', firedAt: 5 })).toEqual({
      timerId: 't',
      firedAt: 5,
    });
  });
});
