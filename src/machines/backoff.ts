import type { Backoff } from '../blueprints/plan.js';
import { sha256Hex } from '../contracts/index.js';

/**
 * Delay before the retry that follows failed try number `tries` (1-based) of a dispatch:
 * exponential (`initialMs * factor^(tries-1)`), capped at `maxMs`, with a `jitter` share of it
 * replaced by a deterministic fraction derived from the failed dispatch id (sha256), so the
 * same log always yields the same delays.
 */
export const retryDelayMs = (backoff: Backoff, tries: number, dispatchId: string): number => {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, tries - 1));
  if (backoff.jitter === 0 || base === 0) return Math.round(base);
  const unit = Number.parseInt(sha256Hex(dispatchId).slice(0, 8), 16) / 0x1_0000_0000;
  return Math.round(base * (1 - backoff.jitter) + base * backoff.jitter * unit);
};
