import { describe, expect, it } from 'vitest';
import { dispatchId, ev, given, plan, RUN } from './given.js';

describe('routes', () => {
  const loop = plan([
    { id: 'test', executor: 'x', routes: [{ on: 'failed', to: 'fix' }], maxVisits: 2 },
    { id: 'fix', executor: 'x', start: 'route', routes: [{ on: 'succeeded', to: 'test' }], maxVisits: 2 },
    { id: 'ship', executor: 'x', needs: ['test'] },
  ]);

  it('given a failure with a route, the target step is entered; the dependents keep waiting', () => {
    given(loop, [ev.allow('test')])
      .when(ev.fail('test', false))
      .then(['policy.check'])
      .thenStatus({ test: 'failed', fix: 'policy_check', ship: 'waiting' });
  });

  it('given the route leads back, the step runs again with a fresh attempt number and dependents then start', () => {
    given(loop, [ev.allow('test'), ev.fail('test', false), ev.allow('fix')])
      .when(ev.ok('fix'))
      .thenMatches([{ type: 'policy.check', data: { stepId: 'test', attempt: 2 } }])
      .and(ev.allow('test', 2))
      .thenMatches([{ type: 'step.dispatch', data: { dispatchId: `${RUN}/test/2` } }])
      .and(ev.ok('test', {}, 2))
      .thenMatches([{ type: 'policy.check', data: { stepId: 'ship' } }]);
  });

  it('given a step routed to more than maxVisits, the run fails', () => {
    const w = given(loop, [
      ev.allow('test'),
      ev.fail('test', false),
      ev.allow('fix'),
      ev.ok('fix'),
      ev.allow('test', 2),
      ev.fail('test', false, 2),
      ev.allow('fix', 2),
    ])
      .when(ev.ok('fix', {}, 2))
      .then(['step.skip', 'run.complete']);
    expect(w.state.outcome?.error?.data).toMatchObject({
      reason: 'max_visits',
      stepId: 'test',
      maxVisits: 2,
    });
  });

  it('given a route to $end, the run succeeds at once; to $fail, it fails', () => {
    const p = plan([
      {
        id: 'a',
        executor: 'x',
        routes: [
          { on: 'succeeded', to: '$end' },
          { on: 'failed', to: '$fail' },
        ],
      },
      { id: 'b', executor: 'x' },
    ]);
    given(p, [ev.allow('a'), ev.allow('b')])
      .when(ev.ok('a'))
      .thenMatches([{ type: 'run.complete', data: { status: 'succeeded' } }])
      .thenStatus({ b: 'cancelled' }, 'succeeded');
    given(p, [ev.allow('a')])
      .when(ev.fail('a', false))
      .thenMatches([
        { type: 'run.complete', data: { status: 'failed', error: { data: { reason: 'routed_to_fail' } } } },
      ]);
  });

  it('given route-only steps never routed to, they are skipped when the run ends', () => {
    given(loop, [ev.allow('test')])
      .when(ev.ok('test'))
      .then(['policy.check'])
      .and(ev.allow('ship'))
      .and(ev.ok('ship'))
      .thenMatches([
        { type: 'step.skip', data: { stepId: 'fix', reason: 'not_routed' } },
        { type: 'run.complete', data: { status: 'succeeded' } },
      ]);
  });
});

describe('partitions', () => {
  const fan = (mode: 'fail_fast' | 'collect') =>
    plan([
      {
        id: 'p',
        executor: 'x',
        partition: { partitioner: 'files', with: { glob: '*.md' }, concurrency: 2, mode },
        input: { file: { from: 'shard', path: 'key' } },
      },
    ]);

  it('given policy allows a partition step, it asks its partitioner for shards', () => {
    given(fan('collect'))
      .when(ev.allow('p'))
      .thenMatches([
        { type: 'partition.plan', data: { stepId: 'p', partitioner: 'files', with: { glob: '*.md' } } },
      ])
      .thenStatus({ p: 'partitioning' });
  });

  it('given shards, at most `concurrency` are dispatched, each with its shard key and input', () => {
    given(fan('collect'), [ev.allow('p')])
      .when(ev.planned('p', ['x', 'y', 'z']))
      .thenMatches([
        {
          type: 'step.dispatch',
          data: { dispatchId: dispatchId('p', 1, 'x'), shard: 'x', input: { file: 'x' } },
        },
        { type: 'step.dispatch', data: { dispatchId: dispatchId('p', 1, 'y'), shard: 'y' } },
      ])
      .and(ev.ok('p', 1, 1, 'x'))
      .thenMatches([{ type: 'step.dispatch', data: { shard: 'z' } }])
      .and(ev.ok('p', 2, 1, 'y'))
      .and(ev.ok('p', 3, 1, 'z'))
      .thenMatches([{ type: 'run.complete', data: { envelope: { status: 'succeeded' } } }])
      .thenStatus({}, 'succeeded');
  });

  it('given fail_fast, the first failed shard fails the step and stops the others', () => {
    given(fan('fail_fast'), [ev.allow('p'), ev.planned('p', ['x', 'y', 'z'])])
      .when(ev.fail('p', false, 1, 'x'))
      .then(['run.complete']);
  });

  it('given collect, every shard runs and the step fails with all failures listed', () => {
    const w = given(fan('collect'), [ev.allow('p'), ev.planned('p', ['x', 'y', 'z'])])
      .when(ev.fail('p', false, 1, 'x'))
      .then(['step.dispatch'])
      .and(ev.ok('p', {}, 1, 'y'))
      .and(ev.fail('p', false, 1, 'z'))
      .then(['run.complete']);
    expect(w.state.steps.p?.error?.data).toMatchObject({
      mode: 'collect',
      failures: [{ key: 'x' }, { key: 'z' }],
    });
  });

  it('given a shard fails retryably, only that shard is retried with its own attempt', () => {
    const p = plan([
      { id: 'p', executor: 'x', retry: { maxAttempts: 2 }, partition: { partitioner: 'f', concurrency: 2 } },
    ]);
    given(p, [ev.allow('p'), ev.planned('p', ['x', 'y'])])
      .when(ev.fail('p', true, 1, 'x'))
      .thenMatches([
        { type: 'step.retry', data: { shard: 'x', nextAttempt: 2 } },
        { type: 'timer.schedule', data: { timerId: `${dispatchId('p', 1, 'x')}/retry` } },
      ])
      .and(ev.fired(`${dispatchId('p', 1, 'x')}/retry`))
      .thenMatches([{ type: 'step.dispatch', data: { dispatchId: dispatchId('p', 2, 'x'), attempt: 2 } }]);
  });

  it('given zero shards, the step succeeds with an empty fan-in', () => {
    const w = given(fan('collect'), [ev.allow('p')])
      .when(ev.planned('p', []))
      .then(['run.complete']);
    expect(w.state.steps.p?.output).toEqual({ shards: [] });
  });
});
