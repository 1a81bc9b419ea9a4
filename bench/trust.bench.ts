/**
 * The cost of authentication per message (design.md §8, docs/decisions/030): sealing a dispatch
 * (Ed25519 sign over its canonical claims and digest) at the engine and verifying it at the
 * worker, deriving a reply key, proving a reply (HMAC-SHA256) at the worker and screening it at
 * the run host, each next to what a message costs anyway in the same run: the canonical JSON of
 * the dispatch and JSON.parse of the reply.
 */

import type { ExecItem, InboundEvent } from '../src/actors/messages.js';
import { MAX_SEAL_BATCH, SealVerifier } from '../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook, noteForSeals } from '../src/actors/trust/engine-seals.js';
import { screenFact } from '../src/actors/trust/fact-screen.js';
import { deriveReplyKey, proveFact, ReplyKeys } from '../src/actors/trust/reply-proof.js';
import { canonicalJson } from '../src/contracts/canonical-json.js';

export const name = 'trust';

const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

/** Median µs per call of `fn` over `rounds` rounds of `n` calls. */
const perCallUs = (fn: (i: number) => unknown, n = 2_000, rounds = 7): number => {
  for (let i = 0; i < n; i++) fn(i); // warm
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return Math.round((samples[Math.floor(rounds / 2)] as number) * 100) / 100;
};

export const run = async (): Promise<Record<string, unknown>> => {
  const keys = createEngineKeys();
  const seals = new EngineSeals(keys);
  const verifier = new SealVerifier(sealPublicKeyFromHex(keys.sealPublicKey));
  const item = (i: number): ExecItem =>
    ({
      kind: 'step',
      runId: RUN,
      jobId: 'w3',
      data: {
        stepId: 'b',
        attempt: 1,
        dispatchId: `${RUN}/b/${i + 1}`,
        executor: 'echo',
        input: { a: { n: i, text: 'a small JSON object' } },
        idempotent: true,
        dryRun: false,
        with: { value: { ok: true } },
      },
    }) as unknown as ExecItem;
  const book = emptySealBook();
  noteForSeals(book, RUN, { type: 'step.dispatched', at: Date.now(), data: { dispatchId: `${RUN}/b/1` } });
  const sealed = seals.seal(item(0), book, false, Date.now());
  const grant = sealed.seal?.grant as string;
  const replyKey = deriveReplyKey(keys.replySecret, `${RUN}/b/1`, 'step');
  const fact: InboundEvent = {
    id: `${RUN}/b/1/succeeded`,
    type: 'step.succeeded',
    at: Date.now(),
    producer: 'worker/w1',
    data: {
      dispatchId: `${RUN}/b/1`,
      stepId: 'b',
      attempt: 1,
      output: { ok: true, n: 1 },
      artifacts: [],
      durationMs: 1,
    },
  };
  const proven = proveFact(replyKey, fact);
  const replyText = JSON.stringify({ runId: RUN, events: [proven] });
  const now = Date.now();
  const seal = perCallUs((i) => seals.seal(item(i), book, false, now));
  const verify = perCallUs(() => verifier.verify(sealed, grant, now));
  const derive = perCallUs((i) => deriveReplyKey(keys.replySecret, `${RUN}/b/${i}`, 'step'));
  const prove = perCallUs(() => proveFact(replyKey, fact));
  // The engine keeps the reply key it derived for the seal (ReplyKeys): screening finds it kept.
  const replyKeys = new ReplyKeys(keys.replySecret);
  const screen = perCallUs(() => screenFact(replyKeys, RUN, proven));
  const screenDeriving = perCallUs(() => screenFact(new ReplyKeys(keys.replySecret), RUN, proven));
  // One engine turn's worth of dispatches sealed together (decision 034), per dispatch; and a
  // worker that receives all of them (a fresh verifier, so the batch's signature is checked once).
  const terms = Array.from({ length: MAX_SEAL_BATCH }, (_, i) => seals.terms(item(i), book, false, now));
  const sealBatch = perCallUs(() => seals.sealAll(terms), 100) / MAX_SEAL_BATCH;
  const batch = seals.sealAll(terms);
  const verifyBatch =
    perCallUs(() => {
      const fresh = new SealVerifier(sealPublicKeyFromHex(keys.sealPublicKey));
      for (const d of batch) fresh.verify(d, d.seal?.grant, now);
    }, 100) / MAX_SEAL_BATCH;
  const canonical = perCallUs((i) => canonicalJson(item(i)));
  const parse = perCallUs(() => JSON.parse(replyText));
  return {
    engine: {
      sealDispatchUs: seal,
      sealInFullBatchUs: Math.round(sealBatch * 100) / 100,
      screenReplyUs: screen,
      screenReplyDerivingKeyUs: screenDeriving,
      perStepUs: Math.round((seal + screen * 2) * 100) / 100,
    },
    worker: {
      verifySealUs: verify,
      verifyInFullBatchUs: Math.round(verifyBatch * 100) / 100,
      proveReplyUs: prove,
      perStepUs: Math.round((verify + prove * 2) * 100) / 100,
    },
    parts: { deriveReplyKeyUs: derive },
    rawLimits: { canonicalJsonOfDispatchUs: canonical, jsonParseOfReplyUs: parse },
    sealBytes: grant.length,
    batch: { size: MAX_SEAL_BATCH, sealBytes: String(batch[0]?.seal?.grant).length },
  };
};
