import { describe, expect, it } from 'vitest';
import { DispatchCancellations } from '../../../../src/actors/worker/cancellations.js';

describe('DispatchCancellations', () => {
  it('a cancel heard before the signal is read gives an already aborted signal with its reason', () => {
    const c = new DispatchCancellations();
    const running = c.begin('d1');
    expect(c.cancel('d1', 'cancelled')).toBe(true);
    expect(running.aborted).toBe(true);
    expect(running.signal.aborted).toBe(true);
    expect(running.signal.reason).toBe('cancelled');
  });
  it('a signal read first aborts on the cancel; the first reason wins', () => {
    const c = new DispatchCancellations();
    const running = c.begin('d1');
    const signal = running.signal;
    expect(signal.aborted).toBe(false);
    c.cancel('d1', 'run_timeout');
    running.abort('cancelled');
    expect(signal.aborted).toBe(true);
    expect(running.reason).toBe('run_timeout');
    expect(signal.reason).toBe('run_timeout');
  });
  it('a cancel that came before the dispatch aborts it as it begins', () => {
    const c = new DispatchCancellations();
    expect(c.cancel('d2', 'sibling_failed')).toBe(false);
    const running = c.begin('d2');
    expect(running.aborted).toBe(true);
    expect(running.signal.reason).toBe('sibling_failed');
    expect(c.running).toBe(0);
  });
});
