import type { InboundEvent } from '../messages.js';
import type { ClaimedAnswer } from '../trust/reply-proof.js';

/**
 * A fact as it reached the run host: made by the engine itself (its scheduler, policy gate,
 * answer desk, recovery) and handed over in-process, or a worker's answer from the bus that
 * passed the inbox's screen (a worker's type, a valid proof for the dispatch it names).
 */
export type Arrival =
  | { readonly fact: InboundEvent; readonly from: 'engine' }
  | { readonly fact: InboundEvent; readonly from: 'bus'; readonly answers: ClaimedAnswer };

/** Facts the engine made, as arrivals. */
export const fromEngine = (facts: readonly InboundEvent[]): Arrival[] =>
  facts.map((fact) => ({ fact, from: 'engine' }));
