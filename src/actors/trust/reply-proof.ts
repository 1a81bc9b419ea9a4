import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from '../../contracts/canonical-json.js';
import type { InboundEvent } from '../messages.js';
import { type DispatchKind, partitionDispatchId } from './dispatch-kind.js';

/**
 * Facts prove which dispatch they answer, like Temporal's task tokens (docs/decisions/030).
 * The engine derives one reply key per dispatch from its reply secret,
 * `HMAC(secret, kind|dispatchId)`, and puts it in the dispatch, which only the engine and the
 * worker that took it from its queue group can read. The worker's facts carry
 * `proof = HMAC(replyKey, canonical fact)`; the run host derives the key again (no state to
 * keep, so replies re-sent from a worker's ledger stay valid) and checks the proof.
 */

/** The reply key of one dispatch (32 bytes). */
export const deriveReplyKey = (secret: Buffer, dispatchId: string, kind: DispatchKind): Buffer =>
  createHmac('sha256', secret).update(`lily-reply-v1|${kind}|${dispatchId}`).digest();

/** How many derived reply keys a `ReplyKeys` keeps (the most recently derived). */
export const REPLY_KEYS_KEPT = 1024;

/**
 * The reply keys of one secret, remembered: a dispatch's key is derived when it is sealed and
 * again for each fact that answers it (usually two), and each derivation builds an HMAC. The
 * last `REPLY_KEYS_KEPT` are kept; a key not among them is derived again, so forgetting one
 * changes nothing but the time it takes.
 */
export class ReplyKeys {
  readonly #kept = new Map<string, Buffer>();

  constructor(private readonly secret: Buffer) {}

  /** The reply key of a dispatch, as `deriveReplyKey` makes it. */
  of(dispatchId: string, kind: DispatchKind): Buffer {
    const name = `${kind}|${dispatchId}`;
    let key = this.#kept.get(name);
    if (key === undefined) {
      key = deriveReplyKey(this.secret, dispatchId, kind);
      if (this.#kept.size >= REPLY_KEYS_KEPT) this.#kept.delete(this.#kept.keys().next().value as string);
      this.#kept.set(name, key);
    }
    return key;
  }

  /** How many keys are kept now. */
  get size(): number {
    return this.#kept.size;
  }
}

/** What a proof covers: every field of the fact but the proof itself. */
const proofBody = (fact: InboundEvent): string =>
  canonicalJson({
    id: fact.id,
    type: fact.type,
    at: fact.at,
    data: fact.data ?? null,
    producer: fact.producer,
  });

/** The proof of `fact` under a reply key (base64url). */
export const factProof = (replyKey: Buffer, fact: InboundEvent): string =>
  createHmac('sha256', replyKey).update(proofBody(fact)).digest('base64url');

/** `fact` with its proof (what a worker sends). */
export const proveFact = (replyKey: Buffer, fact: InboundEvent): InboundEvent => {
  const { proof: _old, ...rest } = fact;
  return { ...rest, proof: factProof(replyKey, rest) };
};

/** True when `fact.proof` is the proof of the fact under `replyKey` (constant time). Never throws. */
export const verifyFactProof = (replyKey: Buffer, fact: InboundEvent): boolean => {
  if (typeof fact.proof !== 'string') return false;
  const given = Buffer.from(fact.proof, 'base64url');
  let want: Buffer;
  try {
    want = Buffer.from(factProof(replyKey, fact), 'base64url');
  } catch {
    return false; // data that has no canonical form (cannot have been proven)
  }
  return given.length === want.length && timingSafeEqual(given, want);
};

/**
 * Fact types a worker sends, and the kind of dispatch each may answer. A new kind of worker
 * answer (a cancelled step, ...) is added here and in `FACT_SUFFIX` (fact-screen.ts); anything
 * else from the bus is refused.
 */
const ANSWER_TYPES: Readonly<Record<string, readonly DispatchKind[]>> = {
  'step.started': ['step', 'shard'],
  'step.succeeded': ['step', 'shard'],
  'step.failed': ['step', 'shard', 'partition'],
  'step.indeterminate': ['step', 'shard'],
  // How a dispatch the run cancelled ended (decision 024): a step, a shard or a gate.
  'step.cancelled': ['step', 'shard', 'gate'],
  'gate.passed': ['gate'],
  'gate.failed': ['gate'],
  'partition.planned': ['partition'],
};

/** True for a type of fact a worker may send (everything else on the bus is refused). */
export const isWorkerAnswerType = (type: string): boolean => Object.hasOwn(ANSWER_TYPES, type);

/** The kinds of dispatch a fact type answers (empty for a type no worker sends). */
export const answerKinds = (type: string): readonly DispatchKind[] => ANSWER_TYPES[type] ?? [];

/** The dispatch a worker's fact says it answers: its id and kind, read from the fact alone. */
export interface ClaimedAnswer {
  dispatchId: string;
  kind: DispatchKind;
  stepId: string;
  attempt: number;
  shard?: string;
  gateId?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * What a fact claims to answer, or undefined when it is not a worker's fact or names no
 * dispatch. A `step.failed` whose id is the partition request's answers the partition.
 */
export const claimedAnswer = (
  runId: string,
  fact: Pick<InboundEvent, 'type' | 'data'>,
): ClaimedAnswer | undefined => {
  if (!isWorkerAnswerType(fact.type) || typeof fact.data !== 'object' || fact.data === null) return undefined;
  const d = fact.data as Record<string, unknown>;
  const stepId = str(d.stepId);
  const attempt = d.attempt;
  if (stepId === undefined || typeof attempt !== 'number') return undefined;
  const ref = { stepId, attempt };
  if (fact.type === 'partition.planned') {
    return { ...ref, dispatchId: partitionDispatchId(runId, stepId, attempt), kind: 'partition' };
  }
  const dispatchId = str(d.dispatchId);
  if (dispatchId === undefined) return undefined;
  if (fact.type === 'gate.passed' || fact.type === 'gate.failed') {
    const gateId = str(d.gateId);
    return gateId === undefined ? undefined : { ...ref, dispatchId, kind: 'gate', gateId };
  }
  if (fact.type === 'step.cancelled' && str(d.gateId) !== undefined) {
    return { ...ref, dispatchId, kind: 'gate', gateId: str(d.gateId) as string };
  }
  if (fact.type === 'step.failed' && dispatchId === partitionDispatchId(runId, stepId, attempt)) {
    return { ...ref, dispatchId, kind: 'partition' };
  }
  const shard = str(d.shard);
  return shard === undefined
    ? { ...ref, dispatchId, kind: 'step' }
    : { ...ref, dispatchId, kind: 'shard', shard };
};
