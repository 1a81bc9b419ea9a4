import { describe, expect, it } from 'vitest';
import { dispatchId, ev, given, plan } from './given.js';

const mixed = plan([
  { id: 'safe', executor: 'x', timeoutMs: 100 },
  { id: 'pay', executor: 'x', idempotent: false, timeoutMs: 100 },
]);

describe('cancellation and crash recovery', () => {
  it('given a cancel request, active steps are cancelled, timers cancelled, the run completes cancelled', () => {
    given(mixed, [ev.allow('safe')])
      .when(ev.cancel())
      .thenMatches([
        { type: 'timer.cancel', data: { timerId: `${dispatchId('safe')}/timeout` } },
        { type: 'run.complete', data: { status: 'cancelled' } },
      ])
      .thenStatus({ safe: 'cancelled', pay: 'cancelled' }, 'cancelled');
  });

  it('given a crash with dispatches in flight, idempotent ones are re-sent and non-idempotent ones become indeterminate', () => {
    const g = given(mixed, [ev.allow('safe'), ev.allow('pay')]);
    const { resend, indeterminate } = g.program.outstanding(g.state);
    expect(resend.map((c) => c.type).sort()).toEqual(['step.dispatch', 'timer.schedule', 'timer.schedule']);
    expect(resend.find((c) => c.type === 'step.dispatch')?.data).toMatchObject({ stepId: 'safe' });
    expect(indeterminate).toEqual([
      {
        type: 'step.indeterminate',
        data: { stepId: 'pay', attempt: 1, dispatchId: dispatchId('pay'), reason: 'in_flight_at_recovery' },
      },
    ]);
  });

  it('given step.indeterminate, the step waits for an operator and is not re-sent', () => {
    const w = given(mixed, [ev.allow('safe'), ev.allow('pay')])
      .when(ev.indeterminate('pay'))
      .thenMatches([{ type: 'timer.cancel', data: { timerId: `${dispatchId('pay')}/timeout` } }])
      .thenStatus({ pay: 'indeterminate' });
    expect(given(mixed).program.outstanding(w.state).indeterminate).toEqual([]);
    w.and(ev.ok('pay')).thenStatus({ pay: 'succeeded' });
  });

  it('given an indeterminate step for an idempotent step, nothing changes (it is simply re-sent)', () => {
    given(mixed, [ev.allow('safe')])
      .when(ev.indeterminate('safe'))
      .then([])
      .thenStatus({ safe: 'dispatched' });
  });
});
