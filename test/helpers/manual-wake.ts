import type { Wake } from '../../src/client/runs/wake.js';

/** A wake that never fires on its own: only `ring()` (or close) wakes the reader. */
export const manualWake = () => {
  let waiters: (() => void)[] = [];
  let closed = 0;
  const wake: Wake = {
    next: () => (closed > 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    close: () => {
      closed += 1;
      for (const w of waiters.splice(0)) w();
    },
  };
  return {
    wake,
    ring: () => {
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    },
    closed: () => closed,
  };
};
