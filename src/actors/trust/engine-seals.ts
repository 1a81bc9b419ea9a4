import type { EventData } from '../../contracts/events/catalog.js';
import type { ExecItem, InboundEvent } from '../messages.js';
import { dispatchRefOf, partitionDispatchId } from './dispatch-kind.js';
import { DispatchSealer, type DispatchTerms, type SealedProgram } from './dispatch-seal.js';
import type { EngineKeys } from './engine-keys.js';
import { type ScreenVerdict, screenFact } from './fact-screen.js';
import { ReplyKeys } from './reply-proof.js';

/**
 * How long after it was dispatched a worker may still start a dispatch (its seal's expiry,
 * like Temporal's schedule-to-start timeout). A dispatch that waits longer (no worker for a
 * day) is refused as `expired` and answered with a retryable failure: the retry is dispatched
 * and sealed anew. The dispatch ledger must remember a dispatch at least this long.
 */
export const DEFAULT_SEAL_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * What a run host keeps per run to seal its dispatches again after a restart exactly as before:
 * when each dispatch was recorded (its seal's expiry counts from there) and the programs the
 * step's current policy decision identified. Filled from the log (`noteForSeals`).
 */
export interface SealBook {
  dispatchedAt: Map<string, number>;
  programs: Map<string, SealedProgram[]>;
}

export const emptySealBook = (): SealBook => ({ dispatchedAt: new Map(), programs: new Map() });

export type { DispatchTerms } from './dispatch-seal.js';

/** Notes what a logged event tells the seals of its run (a dispatch recorded, a policy decision). */
export const noteForSeals = (
  book: SealBook,
  runId: string,
  e: { type: string; at: number; data: unknown },
): void => {
  switch (e.type) {
    case 'step.dispatched':
    case 'gate.dispatched':
      book.dispatchedAt.set((e.data as { dispatchId: string }).dispatchId, e.at);
      return;
    case 'partition.requested': {
      const d = e.data as EventData<'partition.requested'>;
      book.dispatchedAt.set(partitionDispatchId(runId, d.stepId, d.attempt), e.at);
      return;
    }
    case 'policy.decided': {
      const d = e.data as EventData<'policy.decided'>;
      if (d.decision === 'deny') return;
      book.programs.set(
        d.stepId,
        (d.programs ?? []).map((p) => ({
          ...(p.gateId !== undefined ? { gateId: p.gateId } : {}),
          program: p.program,
          path: p.path,
          ...(p.sha256 !== undefined ? { sha256: p.sha256 } : {}),
        })),
      );
      return;
    }
    default:
      return;
  }
};

/** The programs of one dispatch among its step's: the step's own, or its gate's. */
const programsOf = (
  item: ExecItem,
  all: readonly (SealedProgram & { gateId?: string })[],
): SealedProgram[] => {
  if (item.kind === 'partition') return [];
  const gateId = item.kind === 'gate' ? item.data.gateId : undefined;
  return all
    .filter((p) => p.gateId === gateId)
    .map(({ program, path, sha256 }) => ({ program, path, ...(sha256 !== undefined ? { sha256 } : {}) }));
};

/**
 * The engine's side of trust on the bus: seals each dispatch it sends (the grant of that one
 * dispatch and its reply key) and screens the facts that come back.
 */
export class EngineSeals {
  readonly #sealer: DispatchSealer;
  readonly #replyKeys: ReplyKeys;
  readonly #ttlMs: number;

  constructor(keys: Pick<EngineKeys, 'sealKey' | 'replySecret'>, o: { ttlMs?: number } = {}) {
    this.#sealer = new DispatchSealer(keys.sealKey);
    this.#replyKeys = new ReplyKeys(keys.replySecret);
    this.#ttlMs = o.ttlMs ?? DEFAULT_SEAL_TTL_MS;
  }

  /**
   * `item` with its seal, made from logged data only (the dispatch, when it was recorded, the
   * step's policy decision), so a re-send after a crash carries the same bytes.
   */
  seal(item: ExecItem, book: SealBook, dryRun: boolean, now: number): ExecItem {
    return this.sealAll([this.terms(item, book, dryRun, now)])[0] as ExecItem;
  }

  /**
   * What `item`'s seal will claim, read from its run's seal book now: the programs of its
   * step's decision and its expiry (from when the log recorded it, else `now`).
   */
  terms(item: ExecItem, book: SealBook, dryRun: boolean, now: number): DispatchTerms {
    const dispatchedAt = book.dispatchedAt.get(dispatchRefOf(item).dispatchId) ?? now;
    return {
      item,
      dryRun,
      programs: programsOf(item, book.programs.get(item.data.stepId) ?? []),
      exp: dispatchedAt + this.#ttlMs,
    };
  }

  /**
   * Each item with its seal, all sealed together: one signature per batch of up to
   * `MAX_SEAL_BATCH` (dispatch-seal.ts). A single item gets exactly `seal`'s bytes.
   */
  sealAll(terms: readonly DispatchTerms[]): ExecItem[] {
    const grants = this.#sealer.sealAll(terms);
    return terms.map(({ item }, i) => {
      const ref = dispatchRefOf(item);
      const replyKey = this.#replyKeys.of(ref.dispatchId, ref.kind).toString('base64url');
      return { ...item, seal: { grant: grants[i] as string, replyKey } };
    });
  }

  /** The stateless check of a fact from the bus (`screenFact`). */
  screen(runId: string, fact: InboundEvent): ScreenVerdict {
    return screenFact(this.#replyKeys, runId, fact);
  }
}
