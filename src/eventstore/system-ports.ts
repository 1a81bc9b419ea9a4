import { monotonicFactory } from 'ulid';
import type { Clock } from '../contracts/clock.js';
import { type EventId, type IdGenerator, parseRunId, type RunId } from '../contracts/ids.js';

/** The wall clock. Only adapters and actors read it; machines get time from events. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * ULID ids: sortable by creation time, monotonic within one process even when several are
 * made in the same millisecond.
 */
export const createUlidGenerator = (clock: Clock = systemClock): IdGenerator => {
  const next = monotonicFactory();
  return {
    runId: (): RunId => parseRunId(next(clock.now())),
    eventId: (): EventId => next(clock.now()) as EventId,
  };
};
