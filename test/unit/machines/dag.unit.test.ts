import { describe, expect, it } from 'vitest';
import { ev, given, plan, RUN, startCommands } from './given.js';

const pipeline = plan(
  [
    { id: 'a', executor: 'echo', with: { x: 1 } },
    {
      id: 'b',
      executor: 'echo',
      needs: ['a'],
      input: { fromA: { from: 'step', step: 'a', path: 'v' }, name: { from: 'input', path: 'name' } },
    },
    { id: 'c', executor: 'echo', needs: ['a'] },
    { id: 'd', executor: 'echo', needs: ['b', 'c'] },
  ],
  { output: { result: { from: 'step', step: 'd' } } },
);

describe('DAG needs', () => {
  it('given run.started, steps without needs get a policy check', () => {
    expect(startCommands(pipeline)).toMatchObject([
      {
        type: 'policy.check',
        data: { stepId: 'a', attempt: 1, executor: 'echo', request: { dryRun: false, with: { x: 1 } } },
      },
    ]);
  });

  it('given policy allows a, a is dispatched with its dispatch id', () => {
    given(pipeline)
      .when(ev.allow('a'))
      .thenMatches([
        {
          type: 'step.dispatch',
          data: { dispatchId: `${RUN}/a/1`, executor: 'echo', input: {}, idempotent: true, dryRun: false },
        },
      ])
      .thenStatus({ a: 'dispatched', b: 'waiting' });
  });

  it('given a succeeded, its dependents start with inputs resolved from run input and outputs', () => {
    given(pipeline, [ev.allow('a')])
      .when(ev.ok('a', { v: 42 }))
      .then(['policy.check', 'policy.check'])
      .and(ev.allow('b'))
      .thenMatches([{ type: 'step.dispatch', data: { stepId: 'b', input: { fromA: 42, name: 'x' } } }]);
  });

  it('given b and c succeeded, d starts only after both; run completes with the output payload', () => {
    const w = given(pipeline, [ev.allow('a'), ev.ok('a', { v: 1 }), ev.allow('b'), ev.allow('c')])
      .when(ev.ok('b'))
      .then([])
      .and(ev.ok('c'))
      .then(['policy.check'])
      .and(ev.allow('d'))
      .and(ev.ok('d', { done: true }))
      .thenMatches([
        {
          type: 'run.complete',
          data: {
            status: 'succeeded',
            envelope: {
              status: 'succeeded',
              payload: { result: { done: true } },
              references: { runId: RUN },
            },
          },
        },
      ]);
    expect(w.state.status).toBe('succeeded');
  });

  it('given the run ended, later answers cause nothing', () => {
    given(pipeline, [ev.cancel()]).when(ev.allow('a')).then([]);
  });

  it('given a duplicate answer, nothing happens the second time', () => {
    given(pipeline, [ev.allow('a'), ev.ok('a')])
      .when(ev.ok('a'))
      .then([]);
  });
});
