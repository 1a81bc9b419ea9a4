import { INBOUND_EVENT_TYPES } from '../../machines/commands.js';
import type { InboundEvent } from '../messages.js';
import {
  type ClaimedAnswer,
  claimedAnswer,
  isWorkerAnswerType,
  type ReplyKeys,
  verifyFactProof,
} from './reply-proof.js';

/** The suffix of a worker fact's id after its dispatch id (trust: one fact per type per dispatch). */
const FACT_SUFFIX: Readonly<Record<string, string>> = {
  'step.started': 'started',
  'step.succeeded': 'succeeded',
  'step.failed': 'failed',
  'step.indeterminate': 'indeterminate',
  'step.cancelled': 'cancelled',
  'gate.passed': 'passed',
  'gate.failed': 'failed',
  'partition.planned': 'planned',
};

/** Why a fact from the bus is refused before any run looks at it. */
export type ScreenRefusal =
  | 'engine_only_fact'
  | 'not_a_run_fact'
  | 'no_dispatch_named'
  | 'wrong_run'
  | 'fact_id_mismatch'
  | 'proof_missing'
  | 'proof_invalid';

export type ScreenVerdict = { ok: true; answers: ClaimedAnswer } | { ok: false; reason: ScreenRefusal };

/**
 * The run inbox's first check of a fact from the bus, stateless (the run's log is not read):
 * only the answers a worker may send (never `run.started`, `policy.decided`, approval answers,
 * `timer.fired`, `run.cancel_requested`: the engine makes those and hands them to its run host
 * in-process), naming a dispatch of the run it is addressed to, with a valid proof under that
 * dispatch's reply key. Whether the run's log recorded that dispatch, and still waits for it,
 * is checked next, against the run's state (`admitAnswer`).
 */
export const screenFact = (replyKeys: ReplyKeys, runId: string, fact: InboundEvent): ScreenVerdict => {
  const answers = claimedAnswer(runId, fact);
  if (!answers) {
    if (isWorkerAnswerType(fact.type)) return { ok: false, reason: 'no_dispatch_named' };
    return { ok: false, reason: INBOUND_EVENT_TYPES.has(fact.type) ? 'engine_only_fact' : 'not_a_run_fact' };
  }
  if (!answers.dispatchId.startsWith(`${runId}/`)) return { ok: false, reason: 'wrong_run' };
  // One fact of each type per dispatch: its id is derived, so a re-sent reply dedupes.
  if (fact.id !== `${answers.dispatchId}/${FACT_SUFFIX[fact.type]}`)
    return { ok: false, reason: 'fact_id_mismatch' };
  if (fact.proof === undefined) return { ok: false, reason: 'proof_missing' };
  const key = replyKeys.of(answers.dispatchId, answers.kind);
  return verifyFactProof(key, fact) ? { ok: true, answers } : { ok: false, reason: 'proof_invalid' };
};
