import type { StoredEvent } from '../contracts/events/envelope.js';
import type { EventStore } from '../eventstore/event-store.js';
import { LATE_ANSWER_TYPES } from './engine/late-facts.js';

const PAGE = 32;

/**
 * A run's `run.completed`, read from the end of its stream. It is the last event of a finished
 * run except for the answers to dispatches the run cancelled as it ended (late-facts.ts), which
 * may follow it: those are stepped over, in pages. Undefined when the run has not completed.
 */
export const readCompletion = async (
  store: EventStore,
  stream: string,
): Promise<StoredEvent<'run.completed'> | undefined> => {
  let from: number | undefined;
  for (;;) {
    const page = await store.readStream(stream, {
      direction: 'backward',
      limit: PAGE,
      ...(from === undefined ? {} : { fromSeq: from }),
    });
    for (const e of page) {
      if (e.type === 'run.completed') return e as StoredEvent<'run.completed'>;
      if (!LATE_ANSWER_TYPES.has(e.type)) return undefined;
    }
    const last = page[page.length - 1];
    if (page.length < PAGE || !last || last.seq <= 1) return undefined;
    from = last.seq - 1;
  }
};
