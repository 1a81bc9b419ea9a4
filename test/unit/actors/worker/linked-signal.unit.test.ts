/**
 * A dispatch follows the worker's shutdown signal through a listener it removes when it ends
 * (`AbortSignal.any` on the long-lived signal would leave a WeakRef behind per dispatch).
 */
import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkedSignal } from '../../../../src/actors/worker/linked-signal.js';

/** A signal whose listeners are counted. */
const counted = () => {
  const controller = new AbortController();
  let listeners = 0;
  const { signal } = controller;
  setMaxListeners(0, signal);
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners += 1;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners -= 1;
    remove(...args);
  }) as typeof remove;
  return { controller, listeners: () => listeners };
};

describe('linkedSignal', () => {
  it('aborts with the source while linked, and leaves no listener once unlinked', () => {
    const source = counted();
    const links = Array.from({ length: 100 }, () => linkedSignal(source.controller.signal));
    expect(source.listeners()).toBe(100);
    for (const link of links.slice(1)) link.unlink();
    expect(source.listeners()).toBe(1);
    source.controller.abort('shutdown');
    expect(links[0]?.signal.aborted).toBe(true);
    expect(links[0]?.signal.reason).toBe('shutdown');
    expect(links[1]?.signal.aborted).toBe(false);
  });

  it('is aborted at once when the source already is, and adds no listener', () => {
    const source = counted();
    source.controller.abort('gone');
    const link = linkedSignal(source.controller.signal);
    expect(link.signal.aborted).toBe(true);
    expect(source.listeners()).toBe(0);
    link.unlink();
  });
});
