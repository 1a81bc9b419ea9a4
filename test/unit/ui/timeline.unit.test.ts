import { describe, expect, it } from 'vitest';
import { buildTimeline, type Segment, type Timeline } from '../../../src/ui/model/timeline.js';
import { partitionHistory, runLog } from './fixtures.js';

const row = (t: Timeline, key: string) => {
  const r = t.rows.find((x) => x.key === key);
  if (!r) throw new Error(`no row ${key} in ${t.rows.map((x) => x.key).join(', ')}`);
  return r;
};
const of = (segments: Segment[], kind: Segment['kind']) => segments.filter((s) => s.kind === kind);
const at = (events: { seq: number; at: number }[], seq: number) => events.find((e) => e.seq === seq)?.at;

describe('the timeline of a run, folded from its events', () => {
  it('retries: three failed attempts on the step row, each backoff spanning until the next dispatch', () => {
    const events = runLog('flaky');
    const t = buildTimeline(events, Number.MAX_SAFE_INTEGER);
    expect(t.open).toBe(false);
    expect(t.status).toBe('failed');
    expect(t.end).toBe(events.at(-1)?.at);
    expect(t.rows.map((r) => r.key)).toEqual(['prepare', 'flake']);
    const flake = row(t, 'flake').segments;
    expect(of(flake, 'running').map((s) => [s.attempt, s.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    const backoffs = of(flake, 'backoff');
    expect(backoffs.map((s) => s.label)).toEqual([
      'backoff 300 ms before attempt 2',
      'backoff 600 ms before attempt 3',
    ]);
    const dispatches = events.filter(
      (e) => e.type === 'step.dispatched' && (e.data as { stepId: string }).stepId === 'flake',
    );
    expect(backoffs.map((s) => s.to)).toEqual([dispatches[1]?.at, dispatches[2]?.at]);
    expect(of(flake, 'queued').every((s) => s.outcome === 'started')).toBe(true);
    expect(of(row(t, 'prepare').segments, 'running').map((s) => s.outcome)).toEqual(['succeeded']);
  });

  it('a gate gets its own row under its step; an approval wait lasts from the request to the grant', () => {
    const events = runLog('gated');
    const t = buildTimeline(events, Number.MAX_SAFE_INTEGER);
    expect(t.rows.map((r) => r.key)).toEqual(['build', 'build:lint', 'ship']);
    expect(row(t, 'build:lint').segments.map((s) => [s.kind, s.outcome])).toEqual([['gate', 'passed']]);
    const [wait] = of(row(t, 'ship').segments, 'approval');
    const requested = events.find((e) => e.type === 'approval.requested');
    const granted = events.find((e) => e.type === 'approval.granted');
    expect(wait).toMatchObject({
      from: requested?.at,
      to: granted?.at,
      outcome: 'granted',
      seq: requested?.seq,
    });
    expect(wait?.label).toMatch(/^waiting for approval: a human ships \(granted by .+\)$/);
    expect(of(row(t, 'ship').segments, 'policy')[0]?.outcome).toBe('approval_required');
  });

  it('while the run waits, the approval stays open and the timeline ends now', () => {
    const events = runLog('gated');
    const upTo = events.findIndex((e) => e.type === 'approval.requested');
    const now = (events[upTo]?.at ?? 0) + 5_000;
    const t = buildTimeline(events.slice(0, upTo + 1), now);
    expect(t.open).toBe(true);
    expect(t.status).toBe('running');
    expect(t.end).toBe(now);
    expect(of(row(t, 'ship').segments, 'approval')[0]).toMatchObject({ to: null, outcome: 'open' });
  });

  it('a cancelled run closes the attempt that was running at the cancel, as cancelled', () => {
    const events = runLog('slow');
    const t = buildTimeline(events, Number.MAX_SAFE_INTEGER);
    const [attempt] = of(row(t, 'nap').segments, 'running');
    const completed = events.find((e) => e.type === 'run.completed');
    expect(attempt).toMatchObject({ outcome: 'cancelled', to: completed?.at, endSeq: completed?.seq });
    const timeout = events.find(
      (e) => e.type === 'timer.scheduled' && (e.data as { purpose: string }).purpose === 'step_timeout',
    );
    expect(attempt?.deadline).toBe((timeout?.data as { fireAt: number } | undefined)?.fireAt);
    expect(attempt?.deadline).toBeGreaterThan(attempt?.from ?? 0);
    expect(t.marks.map((m) => m.kind)).toEqual(['requested', 'started', 'cancel', 'completed']);
  });

  it('timeouts: each timed-out attempt ends timed_out and leaves a timeout mark', () => {
    const t = buildTimeline(runLog('timeout'), Number.MAX_SAFE_INTEGER);
    const hang = row(t, 'hang');
    expect(of(hang.segments, 'running').map((s) => s.outcome)).toEqual(['timed_out', 'timed_out']);
    expect(hang.marks.filter((m) => m.kind === 'timeout')).toHaveLength(2);
  });

  it('a partition: the planning segment, then a row per shard with its own attempts', () => {
    const events = partitionHistory();
    const t = buildTimeline(events, Number.MAX_SAFE_INTEGER);
    expect(t.rows.map((r) => r.key)).toEqual(['plan', 'edit', 'edit[s0]', 'edit[s1]']);
    expect(of(row(t, 'edit').segments, 'partition')[0]).toMatchObject({
      outcome: 'planned',
      label: '2 shard(s) from files',
    });
    expect(row(t, 'edit[s0]').segments.map((s) => [s.kind, s.outcome])).toEqual([['queued', 'failed']]);
    expect(row(t, 'edit[s1]').segments.map((s) => [s.kind, s.outcome])).toEqual([['queued', 'succeeded']]);
    expect(of(row(t, 'plan').segments, 'approval')[0]?.outcome).toBe('granted');
  });

  it('every segment ends at or after it starts, and each opens at the seq of a real event', () => {
    for (const events of [
      runLog('flaky'),
      runLog('gated'),
      runLog('slow'),
      runLog('timeout'),
      runLog('hello'),
      partitionHistory(),
    ]) {
      const t = buildTimeline(events, Number.MAX_SAFE_INTEGER);
      for (const r of t.rows) {
        for (const s of r.segments) {
          expect(s.to === null || s.to >= s.from).toBe(true);
          expect(at(events, s.seq)).toBe(s.from);
          if (s.endSeq !== null) expect(at(events, s.endSeq)).toBe(s.to);
        }
      }
      expect(buildTimeline(events, Number.MAX_SAFE_INTEGER)).toEqual(t);
    }
  });
});
