import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { Clock } from '../contracts/clock.js';
import { type EventId, type IdGenerator, parseRunId, type RunId } from '../contracts/ids.js';

/** The wall clock. Only adapters and actors read it; machines get time from events. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * The ulid package's source of randomness, from the operating system's CSPRNG as its own is, but
 * read 4 KiB at a time: its own asks `crypto.getRandomValues` for one byte per character (16
 * calls per id, and the engine makes one id per event).
 */
export const pooledRandom = (size = 4096): (() => number) => {
  const pool = Buffer.alloc(size);
  let at = size;
  return () => {
    if (at === size) {
      randomFillSync(pool);
      at = 0;
    }
    return (pool[at++] as number) / 256;
  };
};

/**
 * ULID ids: sortable by creation time, monotonic within one process even when several are
 * made in the same millisecond.
 */
export const createUlidGenerator = (clock: Clock = systemClock): IdGenerator => {
  const next = monotonicFactory(pooledRandom());
  return {
    runId: (): RunId => parseRunId(next(clock.now())),
    eventId: (): EventId => next(clock.now()) as EventId,
  };
};
